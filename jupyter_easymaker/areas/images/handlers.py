from __future__ import annotations

from jupyter_easymaker.core.http import EasyMakerHandler, api, page
from jupyter_easymaker.core.queries import ListQuery
from jupyter_easymaker.core.routing import LIST_PARAMS, Op, Route


class ImagesHandler(EasyMakerHandler):
    area = "images"

    @api
    def get(self) -> None:
        query = ListQuery.from_args(self.query_args())
        items, total = self.services.images.list(query)
        self.reply(page(items, total, query))

    @api
    def post(self) -> None:
        self.reply(self.services.images.create(self.json_body()), 201)


class BaseImagesHandler(EasyMakerHandler):
    area = "images"

    @api
    def get(self) -> None:
        image_type = self.query_args().get("image_type") or None
        self.reply(self.services.images.base_images(image_type))


class ImageHandler(EasyMakerHandler):
    area = "images"

    @api
    def get(self, ref: str) -> None:
        self.reply(self.services.images.get(ref))

    @api
    def patch(self, ref: str) -> None:
        self.reply(self.services.images.update(ref, self.json_body()))

    @api
    def delete(self, ref: str) -> None:
        self.services.images.delete(ref)
        self.no_content()


ROUTES = [
    Route("images", ImagesHandler, {
        "get": Op("List private images", list_of="ImageOut", params=LIST_PARAMS),
        "post": Op("Create a private image (with an existing or a new registry account)", body="ImageCreate",
                   response="ImageOut", status=201),
    }),
    Route("images/base", BaseImagesHandler, {
        "get": Op("The base images (read-only), with whether this server can run each locally", response="BaseImagesOut",
                  params=("image_type",)),
    }),
    Route("images/{ref}", ImageHandler, {
        "get": Op("Get a private or base image", response="ImageOut"),
        "patch": Op("Change a private image's name and description", body="RenameBody", response="ImageOut"),
        "delete": Op("Delete a private image", status=204),
    }),
]
