"""Registry accounts: the login a private image is pulled with (the password
stored encrypted, never shown back)."""
from jupyter_easymaker.core.area import Area

AREA = Area(
    name="registry_accounts",
    capability="registry-accounts",
    service="service:RegistryAccountService",
    client="client:RegistryAccountsClient",
    magics=True,
    machines=("statuses:REGISTRY_ACCOUNT_MACHINE",),
)
