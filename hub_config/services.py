"""Hub-managed services: the web services, the worker, the embedded Redis and the idle culler."""

import os
import sys
from pathlib import Path

from .groups import CUSTOM_SCOPES

WEB_SERVICES = ("archives", "challenges", "leaderboard")
WORKER_QUEUES = ("import", "cpu", "evaluation", "mail")


def script(name):
    """Path of one of gc-hub's console scripts, next to the hub's Python when installed there."""
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def redis_url(settings):
    """The Redis that holds the queues: the configured one, or the embedded one's socket."""
    return settings.redis_url or f"unix://{settings.data_dir}/redis/redis.sock"


# Settings of the services and workers that are passed on from the hub's environment as they are:
# the traits tagged with these variables in services/core/settings.py, services/imaging/limits.py
# and services/web/uploads.py (tests/unit/test_service_settings.py checks that none is missed).
PASSED_ON = ("GC_UPLOAD_", "GC_IMPORT_", "GC_OUTPUT_LIMIT_MB", "GC_PIDS_LIMIT", "GC_HEARTBEAT_S", "GC_LOST_AFTER_S",
             "GC_MAX_ATTEMPTS", "GC_RECONCILE_EVERY_S", "GC_IMAGE_PREFIX", "GC_TRAINING_IMAGE", "GC_SMTP_TIMEOUT_S",
             "GC_SMTP_RETRY_MAX_S")  # fmt: skip


def platform_environment(settings):
    """What the services and the worker need to know of the platform."""
    passed_on = {name: value for name, value in os.environ.items() if name.startswith(PASSED_ON)}
    return {
        **passed_on,
        "GC_DATA_DIR": settings.data_dir,
        "GC_DATABASE_URL": settings.database_url,
        "GC_REDIS_URL": redis_url(settings),
        "GC_PUBLIC_URL": settings.public_url,
        "GC_INSTANCE": settings.instance,
        "GC_MAX_CPU_LIMIT": str(settings.max_cpu_limit),
        "GC_MAX_MEMORY_LIMIT_MB": str(settings.max_memory_limit_mb),
        "GC_MAX_TIME_LIMIT_S": str(settings.max_time_limit_s),
        "GC_GPU_ENABLED": "true" if settings.gpu_enabled else "false",
        "GC_SERVICE_PROCESSES": str(settings.service_processes),
        "GC_SMTP_HOST": settings.smtp_host,
        "GC_SMTP_PORT": str(settings.smtp_port),
        "GC_SMTP_USERNAME": settings.smtp_username,
        "GC_SMTP_PASSWORD": settings.smtp_password,
        "GC_SMTP_STARTTLS": "true" if settings.smtp_starttls else "false",
        "GC_SMTP_FROM": settings.smtp_from,
        "GC_REGISTRY": settings.registry,
    }


def configure_services(c, settings):
    """Register the services the hub starts, stops and authenticates."""
    environment = platform_environment(settings)
    services = []
    for index, name in enumerate(WEB_SERVICES):
        services.append(
            {
                "name": name,
                "url": f"http://127.0.0.1:{settings.service_port(index)}",
                "command": [script(f"gc-{name}")],
                "environment": environment,
                "oauth_no_confirm": True,
                "oauth_client_allowed_scopes": [
                    "read:users:name!user",
                    "read:users:groups!user",
                    *CUSTOM_SCOPES,
                ],
            }
        )
    if settings.local_worker:
        services.append(
            {
                "name": "worker",
                "command": [
                    script("gc-worker"),
                    "--queues",
                    *WORKER_QUEUES,
                    "--redis-url",
                    redis_url(settings),
                    "--data-dir",
                    settings.data_dir,
                ],
                "environment": environment,
                "display": False,
            }
        )
    services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={settings.idle_timeout}",
                f"--max-age={settings.max_session_age}",
            ],
            "display": False,
        }
    )
    if not settings.redis_url:
        # last, because the hub stops services in this order: the worker first, Redis after it
        services.append(
            {
                "name": "redis",
                "command": [script("gc-redis"), "--data-dir", settings.data_dir],
                "display": False,
            }
        )
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = [
        *c.JupyterHub.load_roles,
        {
            "name": "idle-culler",
            "description": "Stop servers that have been idle for too long.",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        },
    ]
