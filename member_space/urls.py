from django.urls import path

from invoicing import views as invoicing_views
from member_space import alert_views, signal_views, views

app_name = "member_space"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("inscription/", views.register, name="register"),
    path("verifier-email/", views.verify_email, name="verify_email"),
    path("verifier-email/renvoyer/", views.resend_verification, name="resend_verification"),
    path("mot-de-passe/oublie/", views.password_reset_request, name="password_reset_request"),
    path("mot-de-passe/reinitialiser/", views.password_reset_confirm, name="password_reset_confirm"),
    path("", views.dashboard, name="dashboard"),
    path("profil/", views.profile, name="profile"),
    path("profil/donnees/", views.profile_export, name="profile_export"),
    path("profil/supprimer/", views.profile_delete, name="profile_delete"),
    path("profil/alertes/", alert_views.profile_signal_alerts, name="profile_signal_alerts"),
    path("conditions/", views.terms, name="terms"),
    path("confidentialite/", views.privacy, name="privacy"),
    path("profil/telegram/", views.link_telegram, name="link_telegram"),
    path("profil/discord/", views.link_discord, name="link_discord"),
    path("formations/", views.formations, name="formations"),
    path("formations/<slug:slug>/", views.formation_detail, name="formation_detail"),
    path("formations/<slug:slug>/lecons/<int:pk>/", views.lesson_detail, name="lesson_detail"),
    path("lecons/<int:pk>/terminer/", views.lesson_complete, name="lesson_complete"),
    path("signaux/", signal_views.signals, name="signals"),
    path("signaux/<int:pk>/", signal_views.signal_detail, name="signal_detail"),
    path("formules/", views.plans, name="plans"),
    path("formules/essai/", views.plan_trial_start, name="plan_trial"),
    path("paiements/", views.payments, name="payments"),
    path("paiements/carte/", views.card_checkout_start, name="card_checkout"),
    path("paiements/carte/gerer/", views.card_portal, name="card_portal"),
    path("paiements/<int:pk>/etat/", views.payment_state, name="payment_state"),
    path("paiements/<int:pk>/annuler/", views.payment_cancel, name="payment_cancel"),
    path("paiements/<int:pk>/preuve/", views.payment_proof, name="payment_proof"),
    path("paiements/<int:pk>/facture/", invoicing_views.payment_invoice, name="payment_invoice"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/tout-lire/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/lue/", views.notification_read, name="notification_read"),
    path("notifications/<int:pk>/ignorer/", views.notification_dismiss, name="notification_dismiss"),
]
