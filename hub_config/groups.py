"""Groups, roles and the custom scopes that the services check."""

GROUPS = ("researchers", "data-scientists", "clinicians")

CUSTOM_SCOPES = {
    "custom:archives:create": "Create archives and upload images into them.",
    "custom:challenges:create": "Create challenges, phases, evaluation methods and hidden test sets.",
    "custom:reader-studies:create": "Create reader studies.",
    "custom:reader-studies:read": "Read cases and answer questions in reader studies.",
    "custom:algorithms:create": "Upload algorithm container images.",
    "custom:challenges:participate": "Join challenges and submit to their phases.",
}

GROUP_SCOPES = {
    "researchers": [
        "custom:archives:create",
        "custom:challenges:create",
        "custom:reader-studies:create",
        "custom:algorithms:create",
    ],
    "data-scientists": ["custom:algorithms:create", "custom:challenges:participate"],
    "clinicians": ["custom:reader-studies:read"],
}

DEMO_USERS = {
    "researchers": ["researcher"],
    "data-scientists": ["datascientist", "datascientist2"],
    "clinicians": ["clinician"],
}
DEMO_ADMIN = "admin"

# Scopes a server's token (JUPYTERHUB_API_TOKEN in a kernel) carries, so that notebooks may call
# the services as their user. The hub intersects them with what the user may do.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    "access:services",
    "read:users:name!user",
    "read:users:groups!user",
    *CUSTOM_SCOPES,
]


def configure_groups(c, settings):
    """Declare the groups, their roles and the custom scopes; put the demo users in them."""
    c.JupyterHub.custom_scopes = {name: {"description": text} for name, text in CUSTOM_SCOPES.items()}
    demo = settings.demo
    c.JupyterHub.load_groups = {group: {"users": DEMO_USERS[group] if demo else []} for group in GROUPS}
    roles = [
        {
            "name": "user",
            "description": "Every user: their own account and access to the platform services.",
            "scopes": ["self", "access:services"],
        }
    ]
    for group, scopes in GROUP_SCOPES.items():
        roles.append(
            {
                "name": group,
                "description": f"What members of the {group} group may do on the platform.",
                "scopes": scopes,
                "groups": [group],
            }
        )
    c.JupyterHub.load_roles = roles
    c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
