"""A Django database made by real Django (Debian's python3-django 3.2), for the import tests.

Usage: python3 django-fixture.py --variant a|b --database <sqlite path | postgres://…>

Variant a is tutorial A's project: Django's own auth_user, a `base_profile` table, groups with
permissions, one user per password hash format. Variant b is tutorial B's custom user model
(`core_user_user`: email login, username, public_id). Both fill simplejwt's outstanding and blacklisted
tables and mint tokens with SECRET_KEY. Prints what the tests need to know (users, passwords, tokens) as
JSON on stdout. Nothing it makes is committed: the tests run it into a temporary directory.
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile
import textwrap
import urllib.parse
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

SECRET_KEY = "django-insecure-gatehouse-import-test-key-0123456789"

APP_A = """
from django.contrib.auth.models import User
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name='profile')
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
"""

APP_B = """
import uuid
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models


class UserManager(BaseUserManager):
    def create_user(self, username, email, password=None, **kwargs):
        user = self.model(username=username, email=self.normalize_email(email), **kwargs)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(db_index=True, unique=True, default=uuid.uuid4, editable=False)
    username = models.CharField(db_index=True, max_length=255, unique=True)
    email = models.EmailField(db_index=True, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = 'email'
    REQUIRED_FIELDS = ['username']

    objects = UserManager()
"""


def database_settings(database):
    if database.startswith("postgres://") or database.startswith("postgresql://"):
        url = urllib.parse.urlparse(database)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": urllib.parse.unquote(url.username or ""),
            "PASSWORD": urllib.parse.unquote(url.password or ""),
            "HOST": url.hostname or "",
            "PORT": str(url.port or ""),
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": database}


def write_project(root, variant):
    app = "base" if variant == "a" else "core_user"
    os.makedirs(os.path.join(root, app, "migrations"))
    for path in (os.path.join(app, "__init__.py"), os.path.join(app, "migrations", "__init__.py")):
        open(os.path.join(root, path), "w").close()
    with open(os.path.join(root, app, "models.py"), "w") as f:
        f.write(textwrap.dedent(APP_A if variant == "a" else APP_B))
    return app


def configure(root, variant, database):
    from django.conf import settings

    app = write_project(root, variant)
    sys.path.insert(0, root)
    options = dict(
        SECRET_KEY=SECRET_KEY,
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework_simplejwt.token_blacklist",
            app,
        ],
        DATABASES={"default": database_settings(database)},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        # Every hasher Django 3.2 has, so make_password can write each format.
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            "django.contrib.auth.hashers.BCryptPasswordHasher",
            "django.contrib.auth.hashers.SHA1PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
            "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
            "django.contrib.auth.hashers.CryptPasswordHasher",
        ],
    )
    if variant == "b":
        options["AUTH_USER_MODEL"] = "core_user.User"
    settings.configure(**options)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("makemigrations", app, verbosity=0)
    call_command("migrate", verbosity=0)


def scrypt_hash(password):
    """Django 4.x's ScryptPasswordHasher.encode (django/contrib/auth/hashers.py, added in 4.0, which
    Debian's 3.2 lacks): hashlib.scrypt(password, salt, n=2**14, r=8, p=1, maxmem=0, dklen=64), the
    hash in standard base64, written `scrypt$n$salt$r$p$hash`."""
    from django.utils.crypto import get_random_string

    salt = get_random_string(22)
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(digest).decode("ascii").strip())


def argon2i_hash(password):
    """Argon2PasswordHasher.encode with argon2-cffi's type I: what Django wrote before 3.2 (argon2i)."""
    import argon2
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    data = argon2.low_level.hash_secret(
        password.encode(),
        hasher.salt().encode(),
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=32,
        type=argon2.low_level.Type.I,
    )
    return "argon2" + data.decode("ascii")


def password_hash(fmt, password):
    from django.contrib.auth.hashers import make_password

    if fmt == "scrypt":
        return scrypt_hash(password)
    if fmt == "argon2i":
        return argon2i_hash(password)
    if fmt == "argon2id":
        return make_password(password, hasher="argon2")
    if fmt == "unsalted_md5_prefixed":
        return "md5$$" + hashlib.md5(password.encode()).hexdigest()
    return make_password(password, hasher=fmt)


FORMATS = [
    "pbkdf2_sha256",
    "pbkdf2_sha1",
    "argon2id",
    "argon2i",
    "bcrypt_sha256",
    "bcrypt",
    "scrypt",
    "sha1",
    "md5",
    "unsalted_sha1",
    "unsalted_md5",
    "unsalted_md5_prefixed",
    "crypt",
]


def tokens_for(user, blacklist=False):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    pair = {"refresh": str(refresh), "access": str(refresh.access_token), "jti": refresh["jti"]}
    if blacklist:
        refresh.blacklist()
    return pair


def grant(group, *codenames):
    from django.contrib.auth.models import Permission

    for codename in codenames:
        app_label, name = codename.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))


def variant_a():
    from django.contrib.auth.models import Group, User
    from base.models import Profile

    users = []

    def add(username, password, fmt="pbkdf2_sha256", email="", **fields):
        user = User.objects.create(username=username, email=email, **fields)
        user.password = password_hash(fmt, password) if password is not None else user.password
        user.save()
        users.append({"id": user.id, "username": username, "email": email, "password": password, "format": fmt})
        return user

    import datetime

    last_login = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    user1 = add("user1", "password1", email="user1@example.com", last_login=last_login)
    Profile.objects.create(user=user1, first_name="Sam", last_name="Smith", email="sam@smith.com")
    for fmt in FORMATS[1:]:
        add("user_" + fmt, "pw-" + fmt, fmt, email=fmt + "@example.com")
    admin = add("admin", "adminpass123", email="admin@example.com", is_staff=True, is_superuser=True)
    add("sleeper", "sleeper-pw", email="sleeper@example.com", is_active=False)
    unusable = add("nopassword", None, email="nopassword@example.com")
    unusable.set_unusable_password()
    unusable.save()
    users[-1]["format"] = "unusable"
    # Distinct to Django (its username is case-sensitive), one account to Gatehouse.
    add("Twin", "twin-pw-1", email="twin1@example.com")
    add("twin", "twin-pw-2", email="twin2@example.com")
    odd = add("oddhash", None, email="oddhash@example.com")
    User.objects.filter(id=odd.id).update(password="whirlpool$1000$salt$abcdef")
    users[-1]["format"] = "unknown"

    editors = Group.objects.create(name="editors")
    grant(editors, "auth.change_user", "auth.view_user")
    viewers = Group.objects.create(name="viewers")
    grant(viewers, "auth.view_group")
    user1.groups.add(editors, viewers)
    admin.groups.add(editors)

    return {
        "users": users,
        "groups": {"editors": ["auth:change_user", "auth:view_user"], "viewers": ["auth:view_group"]},
        "memberships": {"user1": ["editors", "viewers"], "admin": ["editors"]},
        "tokens": {
            "user1": tokens_for(user1),
            "blacklisted": tokens_for(admin, blacklist=True),
            "sleeper": tokens_for(User.objects.get(username="sleeper")),
        },
    }


def variant_b():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    users = []

    def add(username, email, password, **fields):
        user = User.objects.create_user(username, email, password, **fields)
        users.append(
            {"id": user.id, "username": username, "email": email, "password": password, "publicId": str(user.public_id)}
        )
        return user

    alice = add("alice", "alice@example.com", "alice-password")
    add("boss", "boss@example.com", "boss-password", is_staff=True, is_superuser=True)
    add("carol", "Carol@Example.com", "carol-password-1")
    add("carol2", "carol@example.com", "carol-password-2")
    staff = Group.objects.create(name="staff")
    grant(staff, "core_user.view_user")
    alice.groups.add(staff)
    return {
        "users": users,
        "groups": {"staff": ["core_user:view_user"]},
        "memberships": {"alice": ["staff"]},
        "tokens": {"alice": tokens_for(alice)},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=["a", "b"], required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        configure(root, args.variant, args.database)
        made = variant_a() if args.variant == "a" else variant_b()
    from rest_framework_simplejwt.settings import api_settings

    made["secretKey"] = SECRET_KEY
    made["accessLifetime"] = int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    made["refreshLifetime"] = int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds())
    json.dump(made, sys.stdout)


if __name__ == "__main__":
    main()
