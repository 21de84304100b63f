"""Gateways for messages beyond email: SMS and Viber through TurboSMS, Telegram through the Bot
API. The sender (sender.py) picks one by the outbox row's channel; email keeps its SMTP transport.

A gateway's `send(row)` takes an outbox row (a mapping: to_address, text_body, buttons, ...) and
returns the message id the provider gave it, or raises:
- PermanentFailure: this address cannot be reached this way (a blocked bot, an invalid or
  stop-listed number, a gateway no longer set up): no retry, the message falls back to email;
- TemporaryFailure: try again later (network, the provider's own error, a rate limit with its
  `retry_after`, an unpaid balance or a wrong token, which staff can fix).
Errors keep the provider's own words (codes and statuses, never a text or a number) for the
outbox page.

Both APIs are called over HTTPS with httpx (one client per run, TIMEOUT from the settings). Their
addresses are settings (TURBOSMS_API_URL, TELEGRAM_API_URL), so tests point them at local fake
servers that speak the same requests and answers.

To add another provider: a class with `channel`, `send(row)` and `close()`, and a line in
`gateway_for`.
"""
import httpx

from ..channels import SMS, TELEGRAM, VIBER


class GatewayError(Exception):
    def __init__(self, detail):
        super().__init__(detail)
        self.detail = " ".join(str(detail).split())[:400]


class PermanentFailure(GatewayError):
    """No retry; fall back. `chat_gone`: Telegram says the chat can no longer be written to
    (the bot was blocked, the account deleted): the link to that chat is removed."""

    def __init__(self, detail, *, chat_gone=False):
        super().__init__(detail)
        self.chat_gone = chat_gone


class TemporaryFailure(GatewayError):
    def __init__(self, detail, *, retry_after=None):
        super().__init__(detail)
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it did


def _client(base_url, config, headers=None):
    return httpx.Client(base_url=base_url.rstrip("/"), headers=headers or {},
                        timeout=config.get("GATEWAY_TIMEOUT_SECONDS") or 15)


def _post_json(client, path, body):
    """POST a JSON body; the answer's status and JSON (None when it is not JSON). Network
    errors are temporary."""
    try:
        response = client.post(path, json=body)
    except httpx.HTTPError as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return response.status_code, answer


# --- TurboSMS (SMS and Viber) ---------------------------------------------------------------------

# TurboSMS's codes (its API documentation): success, and the ones that say this number will
# never get the message (invalid, on the stop list, a country the account cannot reach).
TURBOSMS_ACCEPTED = frozenset({0, 800, 801, 802, 803})
TURBOSMS_NUMBER_REFUSED = frozenset({202, 305, 404, 406})


def turbosms_recipient(phone):
    """TurboSMS takes numbers as digits with the country code: +380501234567 -> 380501234567."""
    return "".join(ch for ch in str(phone or "") if ch.isdigit())


class TurboSMSGateway:
    """`POST <TURBOSMS_API_URL>/message/send.json` with `Authorization: Bearer <token>` and
    {"recipients": [...], "sms": {"sender", "text"}} or "viber" (with "sms" too: TurboSMS sends
    the SMS only when Viber cannot deliver, TURBOSMS_VIBER_SMS_FALLBACK)."""

    def __init__(self, config, channel):
        self.channel = channel
        self.sender = config.get("TURBOSMS_SENDER") or ""
        self.sms_fallback = bool(config.get("TURBOSMS_VIBER_SMS_FALLBACK"))
        self.client = _client(config["TURBOSMS_API_URL"], config,
                              {"Authorization": f"Bearer {config['TURBOSMS_TOKEN']}"})

    def body(self, row):
        message = {"sender": self.sender, "text": row["text_body"]}
        body = {"recipients": [turbosms_recipient(row["to_address"])]}
        if self.channel == VIBER:
            body["viber"] = dict(message)
            if self.sms_fallback:
                body["sms"] = dict(message)
        else:
            body["sms"] = message
        return body

    def send(self, row):
        if len(turbosms_recipient(row["to_address"])) < 10:
            raise PermanentFailure("not a phone number")
        status, answer = _post_json(self.client, "/message/send.json", self.body(row))
        if status != 200 or not isinstance(answer, dict):
            raise TemporaryFailure(f"TurboSMS answered HTTP {status}")
        code, word = answer.get("response_code"), answer.get("response_status")
        results = answer.get("response_result") or []
        result = results[0] if isinstance(results, list) and results \
            and isinstance(results[0], dict) else None
        if code in TURBOSMS_ACCEPTED and result is not None:
            code, word = result.get("response_code"), result.get("response_status")
            if code in TURBOSMS_ACCEPTED and result.get("message_id"):
                return str(result["message_id"])[:64]
        detail = f"TurboSMS {code} {word}"
        if code in TURBOSMS_NUMBER_REFUSED:
            raise PermanentFailure(detail)
        raise TemporaryFailure(detail)

    def close(self):
        self.client.close()


# --- Telegram ---------------------------------------------------------------------------------

class BotAPI:
    """The Telegram Bot API: `POST <TELEGRAM_API_URL>/bot<token>/<method>` with a JSON body;
    answers {"ok": true, "result": ...} or {"ok": false, "error_code", "description",
    "parameters": {"retry_after"}}."""

    def __init__(self, config):
        self.client = _client(f"{config['TELEGRAM_API_URL'].rstrip('/')}"
                              f"/bot{config['TELEGRAM_BOT_TOKEN']}", config)

    def call(self, method, **params):
        status, answer = _post_json(self.client, f"/{method}",
                                    {k: v for k, v in params.items() if v is not None})
        if isinstance(answer, dict) and answer.get("ok") is True:
            return answer.get("result")
        answer = answer if isinstance(answer, dict) else {}
        code = answer.get("error_code") or status
        description = str(answer.get("description") or f"HTTP {status}")
        detail = f"Telegram {code} {description}"
        lowered = description.lower()
        if code == 429:
            retry_after = (answer.get("parameters") or {}).get("retry_after")
            raise TemporaryFailure(detail, retry_after=retry_after
                                   if isinstance(retry_after, int) else None)
        if code == 403 or (code == 400 and any(
                words in lowered for words in ("chat not found", "user is deactivated",
                                               "peer_id_invalid", "bot was blocked"))):
            raise PermanentFailure(detail, chat_gone=True)
        if code == 400:
            raise PermanentFailure(detail)  # the request itself is wrong: no retry helps
        raise TemporaryFailure(detail)  # 401/404 (token), 5xx: staff or Telegram can fix it

    def close(self):
        self.client.close()


def inline_keyboard(buttons):
    """Telegram's reply_markup for rows of {"text", "data"} (a callback) or {"text", "url"}."""
    if not buttons:
        return None
    return {"inline_keyboard": [
        [{"text": button["text"], **({"url": button["url"]} if "url" in button
                                     else {"callback_data": button["data"]})}
         for button in row] for row in buttons]}


class TelegramGateway:
    channel = TELEGRAM

    def __init__(self, config):
        self.api = BotAPI(config)

    def send(self, row):
        result = self.api.call("sendMessage", chat_id=row["to_address"], text=row["text_body"],
                               reply_markup=inline_keyboard(row.get("buttons")),
                               link_preview_options={"is_disabled": True})
        return str((result or {}).get("message_id", ""))[:64] or None

    def close(self):
        self.api.close()


class NotSetUp:
    """A channel whose gateway the clinic has not set up (any more): its messages fall back."""

    def __init__(self, channel):
        self.channel = channel

    def send(self, row):
        raise PermanentFailure(f"{self.channel}: the gateway is not set up")

    def close(self):
        pass


def configured(config, channel):
    if channel in (SMS, VIBER):
        return bool(config.get("TURBOSMS_TOKEN"))
    if channel == TELEGRAM:
        return bool(config.get("TELEGRAM_BOT_TOKEN") and config.get("TELEGRAM_BOT_USERNAME"))
    return False


def gateway_for(config, channel):
    if not configured(config, channel):
        return NotSetUp(channel)
    if channel in (SMS, VIBER):
        return TurboSMSGateway(config, channel)
    return TelegramGateway(config)


class Gateways:
    """The gateways of one sender run, opened on first use, closed together."""

    def __init__(self, config):
        self.config = config
        self.open = {}

    def __getitem__(self, channel):
        if channel not in self.open:
            self.open[channel] = gateway_for(self.config, channel)
        return self.open[channel]

    def close(self):
        for gateway in self.open.values():
            gateway.close()
        self.open.clear()
