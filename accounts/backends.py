from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.selectors import user_by_email


class EmailBackend(ModelBackend):
    """Log in with the e-mail address, case-insensitively."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username
        if not email or password is None:
            return None
        user = user_by_email(email=email)
        if user is None:
            User().set_password(password)  # same cost whether or not the account exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
