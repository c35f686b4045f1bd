from django.urls import path

from accounts import api

app_name = "accounts"

urlpatterns = [
    path("register/", api.RegisterView.as_view(), name="register"),
    path("verify-email/", api.VerifyEmailView.as_view(), name="verify-email"),
    path("resend-verification/", api.ResendVerificationView.as_view(), name="resend-verification"),
    path("login/", api.LoginView.as_view(), name="login"),
    path("token/refresh/", api.TokenRefreshView.as_view(), name="token-refresh"),
    path("logout/", api.LogoutView.as_view(), name="logout"),
    path("password-reset/", api.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/confirm/", api.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("user/profile/", api.ProfileView.as_view(), name="profile"),
    path("user/export/", api.ExportView.as_view(), name="export"),
    path("user/delete/", api.DeleteAccountView.as_view(), name="delete"),
    path("user/payment-eligibility/", api.PaymentEligibilityView.as_view(), name="payment-eligibility"),
]
