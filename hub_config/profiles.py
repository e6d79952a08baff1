"""Server profiles (workstation, training): who may start which, and with what resources."""

from dataclasses import dataclass
from html import escape

from docker.types import DeviceRequest
from tornado import web

# The workstation opens on its reading app (images/workstation/reading.ipynb, copied home at start).
READING_APP = "/notebooks/gc-hub-reading.ipynb"


@dataclass(frozen=True)
class Profile:
    """A kind of per-user server."""

    name: str
    title: str
    description: str
    image: str
    cpu_limit: float
    mem_limit: str
    groups: tuple
    gpu_allowed: bool = False
    default_url: str = ""  # the page the server opens on ("" for its own default)
    preferred_by: tuple = ()  # the groups whose members start this one unless they choose

    @property
    def resources(self):
        return f"{self.cpu_limit:g} CPU, {self.mem_limit} memory"


def platform_profiles(settings):
    """The two profiles of this platform, from its settings."""
    return {
        "workstation": Profile(
            name="workstation",
            title="Workstation",
            description="The reading app: reader studies, archives and algorithms in the image viewer (clinicians).",
            image=settings.workstation_image,
            cpu_limit=settings.workstation_cpu_limit,
            mem_limit=settings.workstation_mem_limit,
            groups=("clinicians", "researchers", "data-scientists"),
            default_url=READING_APP,
            preferred_by=("clinicians",),
        ),
        "training": Profile(
            name="training",
            title="Training environment",
            description="JupyterLab with numpy, pandas, SimpleITK and scikit-learn (data scientists).",
            image=settings.training_image,
            cpu_limit=settings.training_cpu_limit,
            mem_limit=settings.training_mem_limit,
            groups=("researchers", "data-scientists"),
            gpu_allowed=True,
            preferred_by=("researchers", "data-scientists"),
        ),
    }


def allowed_profiles(profiles, groups, admin=False):
    """The profiles that a member of ``groups`` may start, in their declared order."""
    groups = set(groups)
    return [p for p in profiles.values() if admin or groups & set(p.groups)]


def default_profile(choices, groups):
    """Of ``choices`` (allowed profiles), the one a member of ``groups`` starts unless they choose:
    the first their group prefers (a data scientist's training environment), else the first."""
    groups = set(groups)
    return next((p for p in choices if groups & set(p.preferred_by)), choices[0] if choices else None)


def profile_choices(profiles):
    """A ``template_vars`` callable: the profiles the hub's user may start, for the home page's
    start form, each a dict with ``default`` true for the one their group uses."""

    def choices(user):
        if user is None:
            return []
        groups = [g.name for g in user.groups]
        allowed = allowed_profiles(profiles, groups, user.admin)
        default = default_profile(allowed, groups)
        return [
            {
                "name": p.name,
                "title": p.title,
                "description": p.description,
                "resources": p.resources,
                "default": p is default,
            }
            for p in allowed
        ]

    return choices


def gpu_device_requests():
    """The Docker device request for one GPU (NVIDIA container toolkit)."""
    return [DeviceRequest(count=1, capabilities=[["gpu"]])]


def _user_facts(spawner):
    user = spawner.user
    return [g.name for g in user.groups], bool(user.admin)


def profile_form(profiles, gpu_enabled):
    """An ``options_form`` callable: a choice among the profiles the user may start."""

    def render(spawner):
        groups, admin = _user_facts(spawner)
        choices = allowed_profiles(profiles, groups, admin)
        if not choices:
            return "<p>Your account is in no group that may start a server. Ask an admin.</p>"
        default = default_profile(choices, groups)
        rows = []
        for p in choices:
            checked = " checked" if p is default else ""
            rows.append(
                f'<div class="radio"><label><input type="radio" name="profile" value="{p.name}"{checked}>'
                f" <strong>{escape(p.title)}</strong> — {escape(p.description)}"
                f" <small>({escape(p.resources)})</small></label></div>"
            )
        if gpu_enabled and any(p.gpu_allowed for p in choices):
            rows.append(
                '<div class="checkbox"><label><input type="checkbox" name="gpu">'
                " Add a GPU (training environment only)</label></div>"
            )
        return "\n".join(rows)

    return render


def _as_bool(value):
    if isinstance(value, str):
        return value.lower() in {"1", "true", "on", "yes"}
    return bool(value)


def apply_profile(profiles, gpu_enabled):
    """An ``apply_user_options`` callable: check the chosen profile and set the spawner up for it.

    ``user_options`` come from the options form or the REST API: ``{"profile": "training",
    "gpu": false}``. An unknown or forbidden profile, or a GPU nobody can give, is refused
    with an HTTP error whose message says what the user may do instead.
    """

    def apply(spawner, user_options):
        groups, admin = _user_facts(spawner)
        choices = allowed_profiles(profiles, groups, admin)
        if not choices:
            raise web.HTTPError(403, "Your account is in no group that may start a server. Ask an admin to add you.")
        name = user_options.get("profile") or default_profile(choices, groups).name
        if name not in profiles:
            raise web.HTTPError(400, f"Unknown profile {name!r}. Choose one of: {', '.join(profiles)}.")
        profile = profiles[name]
        if profile not in choices:
            who = ", ".join(groups) or "no group"
            raise web.HTTPError(
                403,
                f"Members of {who} may not start a {profile.title.lower()} ({name!r}). "
                f"You may start: {', '.join(p.name for p in choices)}.",
            )
        spawner.image = profile.image
        spawner.cpu_limit = profile.cpu_limit
        spawner.mem_limit = profile.mem_limit
        spawner.default_url = profile.default_url
        host_config = dict(spawner.extra_host_config)
        host_config.pop("device_requests", None)
        if _as_bool(user_options.get("gpu", False)):
            if not profile.gpu_allowed:
                raise web.HTTPError(400, f"A GPU can be added to a training environment only, not to a {name}.")
            if not gpu_enabled:
                raise web.HTTPError(
                    400,
                    "This hub has no GPU. Start without a GPU, or ask an admin to run the hub on a "
                    "GPU machine with GC_GPU_ENABLED=1.",
                )
            host_config["device_requests"] = gpu_device_requests()
        spawner.extra_host_config = host_config
        spawner.environment = {**spawner.environment, "GC_PROFILE": name}

    return apply
