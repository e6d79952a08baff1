"""The peer of benchmarks/api.py: the archives list and detail as a plain Django REST Framework API.

What grand-challenge.org would run for the same two endpoints: a ModelViewSet over the platform's
own ``archives`` table (unmanaged models on the same database), the user's archives filtered in
SQL (an archive is shown when the user holds a role on it, as gc-hub does), each with the user's
roles, limit/offset pagination (a page of 100 by default, with the count), DRF's token
authentication (``Authorization: token <key>``) and otherwise the default settings, served by
gunicorn's default (sync) workers. Needs the ``bench`` extra: ``.venv/bin/pip install -e '.[bench]'``.

    GC_DRF_DATABASE=<sqlite file> python benchmarks/drf_peer.py setup <username>   # prints a token
    GC_DRF_DATABASE=<sqlite file> gunicorn --chdir benchmarks -w 2 drf_peer:application
"""

import os
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    TIME_ZONE="UTC",
    SECRET_KEY="benchmark-only",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework.authtoken"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("GC_DRF_DATABASE", "")}},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
        "PAGE_SIZE": 100,
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 (needs the settings above)
from django.db import models  # noqa: E402
from django.db.models import Exists, OuterRef, Prefetch  # noqa: E402
from rest_framework import routers, serializers, viewsets  # noqa: E402


class Archive(models.Model):
    slug = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField()
    created_by = models.CharField(max_length=255)
    created_at = models.DateTimeField()

    class Meta:
        app_label = "archives"
        db_table = "archives"
        managed = False


class ArchiveMember(models.Model):
    archive = models.ForeignKey(Archive, models.DO_NOTHING, related_name="members")
    username = models.CharField(max_length=255)
    role = models.CharField(max_length=8)

    class Meta:
        app_label = "archives"
        db_table = "archive_members"
        managed = False


class ArchiveSerializer(serializers.ModelSerializer):
    my_roles = serializers.SerializerMethodField()

    class Meta:
        model = Archive
        fields = ["slug", "title", "description", "created_by", "created_at", "my_roles"]

    def get_my_roles(self, archive):
        return sorted(member.role for member in archive.my_memberships)


class ArchiveViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ArchiveSerializer
    lookup_field = "slug"

    def get_queryset(self):
        mine = ArchiveMember.objects.filter(username=self.request.user.username)
        return (
            Archive.objects.filter(Exists(mine.filter(archive=OuterRef("pk"))))
            .prefetch_related(Prefetch("members", queryset=mine, to_attr="my_memberships"))
            .order_by("slug")
        )


router = routers.SimpleRouter()
router.register("archives", ArchiveViewSet, basename="archive")
urlpatterns = router.urls
application = get_wsgi_application()


def setup(username):
    """Django's own tables (users, tokens) beside the platform's; a user and their token's key."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username=username)
    return Token.objects.get_or_create(user=user)[0].key


if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    print(setup(sys.argv[2]))
