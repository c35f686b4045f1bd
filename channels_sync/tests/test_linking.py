"""Linking accounts: Telegram deep link + bot /start, Discord OAuth2; the webhook's secret and updates."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from channels_sync import crypto
from channels_sync.models import AccountLink, ChannelMembership, LinkToken, Platform
from channels_sync.tests.conftest import WEBHOOK_SECRET
from channels_sync.tests.factories import link_telegram, membership, subscribe
from conftest import client_for
from core import clock

pytestmark = pytest.mark.django_db
State = ChannelMembership.State


def post_update(api_client, update, secret=WEBHOOK_SECRET):
    return api_client.post("/api/telegram/webhook/", update, format="json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["start"][0]


def test_telegram_link_is_a_one_time_deep_link(fake_telegram, auth_client, member):
    response = auth_client.post("/api/auth/user/telegram/link/")

    assert response.status_code == 201
    url = response.json()["url"]
    assert url.startswith("https://t.me/calmnessfi_test_bot?start=")
    stored = LinkToken.objects.get(user=member)
    assert stored.token_hash != token_of(url)  # only the hash is stored
    assert membership(member, Platform.TELEGRAM).state == State.LINK_PENDING


def test_start_with_the_token_stores_the_telegram_id_and_answers_in_french(
    fake_telegram, auth_client, member, api_client
):
    url = auth_client.post("/api/auth/user/telegram/link/").json()["url"]

    response = post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token_of(url)}"))

    assert response.status_code == 200
    link = AccountLink.objects.get(user=member, platform=Platform.TELEGRAM)
    assert link.remote_id == "4242"
    assert membership(member, Platform.TELEGRAM).state == State.LINKED
    [answer] = fake_telegram.messages
    assert answer["chat_id"] == 4242
    assert "Votre compte Telegram est lié" in answer["text"]


def test_a_token_works_once_and_expires(fake_telegram, auth_client, member, api_client):
    url = auth_client.post("/api/auth/user/telegram/link/").json()["url"]
    post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token_of(url)}"))

    post_update(api_client, fake_telegram.start_update(user_id=9999, text=f"/start {token_of(url)}"))

    assert AccountLink.objects.get(user=member).remote_id == "4242"
    assert "invalide ou expiré" in fake_telegram.messages[-1]["text"]

    url = auth_client.post("/api/auth/user/telegram/link/").json()["url"]
    with time_machine.travel(clock.now() + timedelta(hours=2)):
        post_update(api_client, fake_telegram.start_update(user_id=9999, text=f"/start {token_of(url)}"))
    assert AccountLink.objects.get(user=member).remote_id == "4242"


def test_a_fresh_link_invalidates_the_previous_one(fake_telegram, auth_client, member, api_client):
    first = auth_client.post("/api/auth/user/telegram/link/").json()["url"]
    auth_client.post("/api/auth/user/telegram/link/")

    post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token_of(first)}"))

    assert not AccountLink.objects.filter(user=member).exists()


def test_a_telegram_account_cannot_be_linked_to_two_members(fake_telegram, api_client):
    first, second = UserFactory.create_batch(2)
    link_telegram(first, 4242)
    url = client_for(second).post("/api/auth/user/telegram/link/").json()["url"]

    post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token_of(url)}"))

    assert not AccountLink.objects.filter(user=second).exists()
    assert "déjà lié à un autre membre" in fake_telegram.messages[-1]["text"]


def test_relinking_another_telegram_account_revokes_the_old_grant_first(fake_telegram, auth_client, member, api_client):
    from django.core.management import call_command

    subscribe(member)
    link_telegram(member, 4242)
    call_command("manage_channel_members", "--platform", "telegram")
    url = auth_client.post("/api/auth/user/telegram/link/").json()["url"]
    fake_telegram.reset_requests()

    post_update(api_client, fake_telegram.start_update(user_id=5353, text=f"/start {token_of(url)}"))

    names = [fake_telegram.name_of(c.method, c.path) for c in fake_telegram.calls()]
    assert names.index("banChatMember") < names.index("createChatInviteLink")
    assert fake_telegram.calls("banChatMember")[0].body["user_id"] == 4242
    assert fake_telegram.messages[-1]["chat_id"] == 5353
    assert membership(member, Platform.TELEGRAM).state == State.INVITED


def test_an_entitled_member_gets_the_invite_right_after_start(fake_telegram, auth_client, member, api_client):
    subscribe(member)
    url = auth_client.post("/api/auth/user/telegram/link/").json()["url"]

    post_update(api_client, fake_telegram.start_update(user_id=4242, text=f"/start {token_of(url)}"))

    answer, invite = fake_telegram.messages
    assert "lié" in answer["text"]
    assert membership(member, Platform.TELEGRAM).invite_link in invite["text"]


def test_an_entitled_member_is_added_to_discord_right_after_the_callback(fake_discord, auth_client, member, api_client):
    subscribe(member)
    state = parse_qs(urlsplit(auth_client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]
    code = fake_discord.authorise(user_id="300000000000000042")

    auth_client.get("/api/auth/discord/callback/", {"code": code, "state": state})

    assert fake_discord.members["300000000000000042"] == {fake_discord.role_id}
    assert membership(member, Platform.DISCORD).state == State.MEMBER


def test_webhook_refuses_a_wrong_or_missing_secret(fake_telegram, api_client):
    update = fake_telegram.start_update(user_id=1, text="/start abc")

    assert post_update(api_client, update, secret="mauvais").status_code == 403
    response = api_client.post("/api/telegram/webhook/", update, format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert fake_telegram.calls() == []


def test_join_request_from_a_stranger_is_declined_and_from_the_entitled_member_approved(
    fake_telegram, member, api_client
):
    subscribe(member)
    link_telegram(member, 4242)

    post_update(api_client, fake_telegram.join_request_update(user_id=666))
    post_update(api_client, fake_telegram.join_request_update(user_id=4242))

    assert fake_telegram.declined == [666]
    assert fake_telegram.approved == [4242]
    assert membership(member, Platform.TELEGRAM).state == State.MEMBER


def test_join_request_from_a_linked_member_without_subscription_is_declined(fake_telegram, member, api_client):
    link_telegram(member, 4242)

    post_update(api_client, fake_telegram.join_request_update(user_id=4242))

    assert fake_telegram.declined == [4242]


def test_someone_joining_with_another_members_link_is_removed(fake_telegram, member, api_client):
    from django.core.management import call_command

    subscribe(member)
    link_telegram(member, 4242)
    call_command("manage_channel_members", "--platform", "telegram")
    link = membership(member, Platform.TELEGRAM).invite_link

    post_update(api_client, fake_telegram.join(user_id=777, invite_link=link))

    assert [c.body["user_id"] for c in fake_telegram.calls("banChatMember")] == [777]
    assert fake_telegram.members[777] == "left"
    state = membership(member, Platform.TELEGRAM)
    assert state.state == State.LINKED and not state.has_access  # the owner gets a fresh link next run


def test_member_who_leaves_is_marked_left_and_gets_a_fresh_link_on_request(
    fake_telegram, member, auth_client, api_client
):
    from django.core.management import call_command

    subscribe(member)
    link_telegram(member, 4242)
    call_command("manage_channel_members", "--platform", "telegram")
    post_update(api_client, fake_telegram.join(user_id=4242, invite_link=membership(member, "telegram").invite_link))

    post_update(api_client, fake_telegram.leave(user_id=4242))

    assert membership(member, Platform.TELEGRAM).state == State.LEFT
    fake_telegram.reset_requests()
    call_command("manage_channel_members", "--platform", "telegram")
    assert fake_telegram.calls() == []  # no automatic re-invite after leaving on purpose
    post_update(api_client, fake_telegram.start_update(user_id=4242, text="/start"))
    call_command("manage_channel_members", "--platform", "telegram")
    assert membership(member, Platform.TELEGRAM).state == State.INVITED


def test_discord_link_url_has_the_scopes_and_a_signed_state(fake_discord, auth_client, member):
    response = auth_client.get("/api/auth/user/discord/link/")

    assert response.status_code == 200
    query = parse_qs(urlsplit(response.json()["url"]).query)
    assert query["scope"] == ["identify guilds.join"]
    assert query["client_id"] == [fake_discord.client_id]
    assert query["state"][0]
    assert membership(member, Platform.DISCORD).state == State.LINK_PENDING


def test_discord_callback_links_the_account_with_encrypted_tokens(fake_discord, auth_client, member, api_client):
    state = parse_qs(urlsplit(auth_client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]
    code = fake_discord.authorise(user_id="300000000000000042")

    response = auth_client.get("/api/auth/discord/callback/", {"code": code, "state": state})

    assert response.status_code == 302
    assert response["Location"] == "http://front.test/espace/profil/?discord=ok"
    link = AccountLink.objects.get(user=member, platform=Platform.DISCORD)
    assert link.remote_id == "300000000000000042"
    refresh = crypto.decrypt(link.refresh_token_encrypted)
    assert refresh in fake_discord.refresh_tokens
    assert refresh not in link.refresh_token_encrypted  # not stored in clear
    assert crypto.decrypt(link.access_token_encrypted) in fake_discord.access_tokens
    assert link.token_expires_at > clock.now()


def test_discord_callback_with_a_forged_state_links_nothing(fake_discord, member, api_client):
    code = fake_discord.authorise(user_id="300000000000000042")

    response = api_client.get("/api/auth/discord/callback/", {"code": code, "state": f"{member.pk}:forged"})

    assert response.status_code == 302
    location = response["Location"]
    assert "discord=erreur" in location and "message=" in location
    assert not AccountLink.objects.exists()
    assert fake_discord.calls("oauth_token") == []


def test_discord_callback_with_an_expired_state_links_nothing(fake_discord, auth_client, api_client):
    state = parse_qs(urlsplit(auth_client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]
    code = fake_discord.authorise(user_id="300000000000000042")

    with time_machine.travel(clock.now() + timedelta(hours=1)):
        response = auth_client.get("/api/auth/discord/callback/", {"code": code, "state": state})

    assert "discord=erreur" in response["Location"]
    assert not AccountLink.objects.exists()


def test_discord_callback_with_a_refused_code_redirects_with_a_french_error(fake_discord, auth_client, api_client):
    state = parse_qs(urlsplit(auth_client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]

    response = auth_client.get("/api/auth/discord/callback/", {"code": "inconnu", "state": state})

    assert "discord=erreur" in response["Location"]
    assert "Discord+n%27a+pas+confirm" in response["Location"]


def test_link_endpoints_need_authentication(api_client, fake_telegram, fake_discord):
    assert api_client.post("/api/auth/user/telegram/link/").status_code == 401
    assert api_client.get("/api/auth/user/discord/link/").status_code == 401


def test_channel_status_shows_state_link_and_next_step(fake_telegram, auth_client, member):
    from django.core.management import call_command

    subscribe(member)
    link_telegram(member, 4242)
    call_command("manage_channel_members", "--platform", "telegram")

    body = auth_client.get("/api/auth/user/channels/").json()

    assert body["telegram"]["state"] == "invited"
    assert body["telegram"]["invite_link"] == membership(member, "telegram").invite_link
    assert "lien personnel" in body["telegram"]["next_step"]
    assert body["discord"]["state"] == "not_linked"
    assert "Liez votre compte Discord" in body["discord"]["next_step"]


def test_discord_state_works_once_a_replayed_callback_links_nothing(fake_discord, auth_client, member, api_client):
    state = parse_qs(urlsplit(auth_client.get("/api/auth/user/discord/link/").json()["url"]).query)["state"][0]
    first = auth_client.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000042"), "state": state}
    )
    assert first["Location"] == "http://front.test/espace/profil/?discord=ok"

    # The same state again (a replayed URL), even with a fresh code for another Discord account.
    replay = auth_client.get(
        "/api/auth/discord/callback/", {"code": fake_discord.authorise(user_id="300000000000000043"), "state": state}
    )

    params = parse_qs(urlsplit(replay["Location"]).query)
    assert params["discord"] == ["erreur"]
    assert "déjà utilisé" in params["message"][0]
    assert list(AccountLink.objects.filter(platform=Platform.DISCORD).values_list("remote_id", flat=True)) == [
        "300000000000000042"
    ]
    assert len(fake_discord.calls("oauth_token")) == 1  # the replayed code was never exchanged


def test_each_discord_link_url_has_its_own_state_usable_once(fake_discord, auth_client, member, api_client):
    urls = [auth_client.get("/api/auth/user/discord/link/").json()["url"] for _ in range(2)]
    first_state, second_state = (parse_qs(urlsplit(url).query)["state"][0] for url in urls)
    assert first_state != second_state

    response = auth_client.get(
        "/api/auth/discord/callback/",
        {"code": fake_discord.authorise(user_id="300000000000000042"), "state": second_state},
    )

    assert response["Location"] == "http://front.test/espace/profil/?discord=ok"
    assert LinkToken.objects.filter(user=member, platform=Platform.DISCORD, used_at__isnull=False).count() == 1
