from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class RegistryAccountsHandler(EasyMakerHandler):
    area = "registry_accounts"

    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.registry_accounts.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.registry_accounts.create(self.json_body()), 201)


class RegistryAccountHandler(EasyMakerHandler):
    area = "registry_accounts"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.registry_accounts.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.registry_accounts.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.registry_accounts.delete(ref)
        self.no_content()


class RegistryCredentialsHandler(EasyMakerHandler):
    area = "registry_accounts"

    @api
    def post(self, ref: str) -> None:
        self.reply(self.services.registry_accounts.update_credentials(ref, self.json_body()))


ROUTES = [
    Route("registry-accounts", RegistryAccountsHandler, {
        "get": Op("List registry accounts (passwords masked)", list_of="RegistryAccountOut", params=LIST_PARAMS),
        "post": Op("Create a registry account", body="RegistryAccountCreate", response="RegistryAccountOut", status=201),
    }),
    Route("registry-accounts/{ref}", RegistryAccountHandler, {
        "get": Op("Get a registry account (password masked)", response="RegistryAccountOut"),
        "patch": Op("Change a registry account's name and description", body="RenameBody", response="RegistryAccountOut"),
        "delete": Op("Delete a registry account no image uses", status=204),
    }),
    Route("registry-accounts/{ref}/credentials", RegistryCredentialsHandler, {
        "post": Op("Change a registry account's id and password (warnings name running work using its images)",
                  body="RegistryCredentials", response="RegistryAccountOut"),
    }),
]
