"""Who may link an account, and which browser may finish a Discord link (issue 12, findings 5 and 12).

The pre-hijack story: someone registers the victim's address (unverified accounts may log in) and links their own
Telegram; the real owner later resets the password, verifies, pays, and the paid invitation went to the intruder.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.tests.conftest import token_from_last_mail
from accounts.tests.factories import UnverifiedUserFactory, UserFactory
from channels_sync.api import DISCORD_BROWSER_COOKIE
from channels_sync.models import AccountLink, ChannelMembership, LinkToken, Platform
from channels_sync.tests.conftest import WEBHOOK_SECRET
from channels_sync.tests.factories import link_telegram, membership, subscribe
from conftest import client_for

pytestmark = pytest.mark.django_db

State = ChannelMembership.State
FRONT_PROFILE = "http://front.test/espace/profil/"


def _start(api_client, fake_telegram, *, telegram_id: int, url: str):
    update = fake_telegram.start_update(user_id=telegram_id, text=f"/start {url.split('start=')[1]}")
    api_client.post(
        "/api/telegram/webhook/", update, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET
    )


def _state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


# Finding 5: linking needs a verified address


def test_a_member_with_an_unverified_address_cannot_ask_for_a_telegram_or_discord_link(fake_telegram, fake_discord):
    intruder = client_for(UnverifiedUserFactory(email="victime@example.com"))

    telegram = intruder.post("/api/auth/user/telegram/link/")
    discord = intruder.get("/api/auth/user/discord/link/")

    assert telegram.status_code == discord.status_code == 403
    assert "Confirmez d'abord votre adresse e-mail" in telegram.json()["detail"]
    assert "Confirmez d'abord votre adresse e-mail" in discord.json()["detail"]
    assert not LinkToken.objects.exists()
    assert DISCORD_BROWSER_COOKIE not in discord.cookies


def test_the_profile_page_refuses_linking_before_verification_in_french(fake_telegram, fake_discord):
    page = Client()
    page.force_login(UnverifiedUserFactory())

    for url in ("/espace/profil/telegram/", "/espace/profil/discord/"):
        answer = page.post(url, follow=True)
        assert answer.redirect_chain[-1][0].endswith("/espace/profil/")
        assert "Confirmez d&#x27;abord votre adresse e-mail" in answer.content.decode()
    assert not LinkToken.objects.exists()


def test_the_pre_hijack_story_ends_with_the_intruders_account_unlinked_and_removed(
    fake_telegram, api_client, post, settings
):
    # An account linked before the address was proven (made by an older version, or by an admin).
    owner = UnverifiedUserFactory(email="victime@example.com")
    link_telegram(owner, 6666)  # the intruder's Telegram
    subscribe(owner)
    owner.is_verified = True  # let the intruder's link through the sync once, as the old code did
    owner.save(update_fields=["is_verified"])
    call_command("manage_channel_members", "--platform", "telegram")
    assert membership(owner, Platform.TELEGRAM).state == State.INVITED
    invite = membership(owner, Platform.TELEGRAM).invite_link
    fake_telegram.reset_requests()

    # The real owner takes the account back through the e-mailed reset link.
    post("/api/auth/password-reset/", {"email": "victime@example.com"})
    reset = post(
        "/api/auth/password-reset/confirm/",
        {"token": token_from_last_mail("victime@example.com"), "new_password": "Nouveau-Secret-42"},
    )
    assert reset.status_code == 200

    assert not AccountLink.objects.filter(user=owner).exists()
    assert membership(owner, Platform.TELEGRAM).state == State.NOT_LINKED
    call_command("manage_channel_members", "--platform", "telegram")
    assert fake_telegram.calls("revokeChatInviteLink")[0].body["invite_link"] == invite
    assert fake_telegram.calls("banChatMember")[0].body["user_id"] == 6666
    assert fake_telegram.calls("createChatInviteLink") == []  # nobody is invited until the owner links again
    assert membership(owner, Platform.TELEGRAM).has_access is False
    assert membership(owner, Platform.TELEGRAM).state == State.NOT_LINKED  # not "Compte lié": nothing is


def test_the_first_verification_drops_links_and_link_tokens_made_before_it(fake_telegram, post):
    member = UnverifiedUserFactory()
    link_telegram(member, 6666)
    LinkToken.objects.create(
        user=member, platform=Platform.DISCORD, token_hash="x" * 64, expires_at="2099-01-01T00:00:00Z"
    )
    post("/api/auth/resend-verification/", {"email": member.email})

    verified = post("/api/auth/verify-email/", {"token": token_from_last_mail(member.email)})

    assert verified.status_code == 200
    assert not AccountLink.objects.filter(user=member).exists()
    assert not LinkToken.objects.filter(user=member).exists()


def test_a_verified_member_links_telegram_and_a_second_verification_changes_nothing(fake_telegram, api_client):
    member = UserFactory()
    url = client_for(member).post("/api/auth/user/telegram/link/").json()["url"]

    _start(api_client, fake_telegram, telegram_id=4242, url=url)

    assert AccountLink.objects.get(user=member).remote_id == "4242"


# Finding 12: the Discord state is bound to the browser that asked for it


def test_a_discord_state_completed_by_another_browser_links_nothing_and_stays_usable(fake_discord):
    member = UserFactory()
    asking_browser = client_for(member)
    state = _state(asking_browser.get("/api/auth/user/discord/link/").json()["url"])
    assert asking_browser.cookies[DISCORD_BROWSER_COOKIE]["httponly"]
    assert asking_browser.cookies[DISCORD_BROWSER_COOKIE]["samesite"] == "Lax"

    # The member sends the authorisation link to someone else, who approves it with their own Discord account.
    other_browser = Client()
    other = other_browser.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000666"), "state": state}
    )
    forged_cookie = Client()
    forged_cookie.cookies[DISCORD_BROWSER_COOKIE] = "A" * 32
    forged = forged_cookie.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000667"), "state": state}
    )

    for refused in (other, forged):
        params = parse_qs(urlsplit(refused["Location"]).query)
        assert params["discord"] == ["erreur"]
        assert "autre navigateur" in params["message"][0]
    assert not AccountLink.objects.exists()
    assert fake_discord.calls("oauth_token") == []  # the stranger's code was never exchanged

    own = asking_browser.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000042"), "state": state}
    )
    assert own["Location"] == f"{FRONT_PROFILE}?discord=ok"
    assert AccountLink.objects.get(user=member).remote_id == "300000000000000042"


def test_several_tabs_of_one_browser_share_its_key_so_each_state_stays_usable(fake_discord):
    member = UserFactory()
    browser = client_for(member)
    first = _state(browser.get("/api/auth/user/discord/link/").json()["url"])
    browser.get("/api/auth/user/discord/link/")  # a second tab

    answer = browser.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000042"), "state": first}
    )

    assert answer["Location"] == f"{FRONT_PROFILE}?discord=ok"


def test_the_profile_page_sets_the_browser_cookie_before_sending_the_member_to_discord(fake_discord):
    member = UserFactory()
    page = Client()
    page.force_login(member)

    answer = page.post("/espace/profil/discord/")

    assert answer.status_code == 302 and "/oauth2/authorize?" in answer["Location"]
    assert page.cookies[DISCORD_BROWSER_COOKIE].value
    done = page.get(
        "/api/auth/discord/callback/",
        {"code": fake_discord.authorise(user_id="300000000000000042"), "state": _state(answer["Location"])},
    )
    assert done["Location"] == f"{FRONT_PROFILE}?discord=ok"
