"""Who may log in: the shared-password demo authenticator, or one you configure."""

from .groups import DEMO_ADMIN, DEMO_USERS
from .secrets import load_or_create_secrets


def demo_usernames():
    return [name for names in DEMO_USERS.values() for name in names]


def configure_auth(c, settings):
    """In demo mode, the shared-password authenticator with the demo users and an admin.

    Outside demo mode nothing is set here: configure OAuthenticator or LDAPAuthenticator in your
    own config file (see README.md).
    """
    if not settings.demo:
        return
    stored = load_or_create_secrets(settings.data_dir)
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = settings.user_password or stored["user_password"]
    c.SharedPasswordAuthenticator.admin_password = settings.admin_password or stored["admin_password"]
    c.Authenticator.admin_users = {DEMO_ADMIN}
    c.Authenticator.allowed_users = set(demo_usernames())
