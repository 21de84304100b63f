"""Local fakes of the providers, on 127.0.0.1, speaking their documented requests and answers
over real HTTP: TurboSMS's `POST /message/send.json` and the Telegram Bot API's
`POST /bot<token>/<method>`. The app reaches them through TURBOSMS_API_URL and TELEGRAM_API_URL,
exactly as it reaches the real ones; nothing of the app is mocked.

Each fake keeps every request it got, and can be told to refuse (a number TurboSMS will not
reach, a chat that blocked the bot, a rate limit, the service being down).
"""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    """A ThreadingHTTPServer on a free port of 127.0.0.1 whose handler calls `self.answer`."""

    def __init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (the name http.server calls)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                status, answer = fake.answer(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeTurboSMS(_Server):
    """TurboSMS: `POST /message/send.json`, `Authorization: Bearer <token>`, JSON
    {"recipients": [...], "sms": {"sender", "text"}, "viber": {...}}; answers
    {"response_code", "response_status", "response_result": [{"phone", "response_code",
    "message_id", "response_status"}]}."""

    TOKEN = "turbosms-test-token"

    def __init__(self):
        super().__init__()
        self.requests = []      # the JSON bodies accepted
        self.refuse = {}        # recipient -> (code, status), e.g. (406, "NOT_ALLOWED_...")
        self.down = None        # an HTTP status to answer every request with

    def settings(self):
        return {"TURBOSMS_TOKEN": self.TOKEN, "TURBOSMS_API_URL": self.url,
                "TURBOSMS_SENDER": "Expio"}

    def answer(self, path, headers, body):
        if self.down:
            return self.down, {"error": "unavailable"}
        if path != "/message/send.json":
            return 404, {"response_code": 300, "response_status": "INVALID_REQUEST",
                         "response_result": None}
        if headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return 200, {"response_code": 105, "response_status": "REQUIRED_AUTH",
                         "response_result": None}
        if not isinstance(body, dict) or not body.get("recipients") or not (
                body.get("sms") or body.get("viber")):
            return 200, {"response_code": 300, "response_status": "INVALID_REQUEST",
                         "response_result": None}
        results = []
        for phone in body["recipients"]:
            if phone in self.refuse:
                code, status = self.refuse[phone]
                results.append({"phone": phone, "response_code": code, "message_id": None,
                                "response_status": status})
            else:
                results.append({"phone": phone, "response_code": 0,
                                "message_id": str(uuid.uuid4()), "response_status": "OK"})
        with self.lock:
            self.requests.append(body)
        accepted = [r for r in results if r["response_code"] == 0]
        if not accepted:
            first = results[0]
            return 200, {"response_code": first["response_code"],
                         "response_status": first["response_status"],
                         "response_result": results}
        code, status = ((800, "SUCCESS_MESSAGE_ACCEPTED") if len(accepted) == len(results)
                        else (802, "SUCCESS_MESSAGE_PARTIAL_ACCEPTED"))
        return 200, {"response_code": code, "response_status": status,
                     "response_result": results}

    def texts(self, channel="sms"):
        return [body[channel]["text"] for body in self.requests if channel in body]


class FakeBotAPI(_Server):
    """The Telegram Bot API: `POST /bot<token>/<method>` with JSON; answers {"ok": true,
    "result": ...} or {"ok": false, "error_code", "description", "parameters"}. Keeps the
    messages sent, the callback answers, the webhook set, and a queue of updates for
    getUpdates (users "send" them with `user_sends` and `press`)."""

    TOKEN = "123456:test-bot-token"
    USERNAME = "ExpioTestBot"

    def __init__(self):
        super().__init__()
        self.sent = []            # sendMessage bodies
        self.callback_answers = []
        self.webhook = None
        self.calls = []           # (method, body) of every call
        self.blocked = set()      # chat ids that blocked the bot
        self.retry_after = None   # answer 429 once with this retry_after
        self.updates = []
        self._next_update = 100
        self._next_message = 1

    def settings(self):
        return {"TELEGRAM_BOT_TOKEN": self.TOKEN, "TELEGRAM_BOT_USERNAME": self.USERNAME,
                "TELEGRAM_API_URL": self.url}

    @staticmethod
    def _error(code, description, **parameters):
        body = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return code, body

    def answer(self, path, headers, body):
        prefix = f"/bot{self.TOKEN}/"
        if not path.startswith(prefix):
            return self._error(404, "Not Found")
        method, body = path[len(prefix):], body or {}
        with self.lock:
            self.calls.append((method, body))
        if method == "sendMessage":
            if self.retry_after:
                wait, self.retry_after = self.retry_after, None
                return self._error(429, f"Too Many Requests: retry after {wait}",
                                   retry_after=wait)
            if str(body.get("chat_id")) in self.blocked:
                return self._error(403, "Forbidden: bot was blocked by the user")
            if not body.get("text"):
                return self._error(400, "Bad Request: message text is empty")
            with self.lock:
                self.sent.append(body)
                message_id, self._next_message = self._next_message, self._next_message + 1
            return 200, {"ok": True, "result": {
                "message_id": message_id, "date": 0, "text": body["text"],
                "chat": {"id": int(body["chat_id"]), "type": "private"}}}
        if method == "answerCallbackQuery":
            with self.lock:
                self.callback_answers.append(body)
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            offset = body.get("offset")
            with self.lock:
                if offset is not None:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                batch = list(self.updates[:body.get("limit", 100)])
            return 200, {"ok": True, "result": batch}
        if method in ("setWebhook", "deleteWebhook"):
            self.webhook = body if method == "setWebhook" else None
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        return self._error(404, "Not Found: method not found")

    # --- What users do ----------------------------------------------------------------------

    def _update(self, **content):
        with self.lock:
            self._next_update += 1
            update = {"update_id": self._next_update, **content}
            self.updates.append(update)
        return update

    @staticmethod
    def message_update(chat_id, text, update_id=1):
        return {"update_id": update_id, "message": {
            "message_id": 1, "date": 0, "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Olena"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Olena"}}}

    @staticmethod
    def button_update(chat_id, data, update_id=1, query_id="q1"):
        return {"update_id": update_id, "callback_query": {
            "id": query_id, "data": data, "chat_instance": "1",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Olena"},
            "message": {"message_id": 1, "date": 0, "text": "…",
                        "chat": {"id": chat_id, "type": "private"}}}}

    def user_sends(self, chat_id, text):
        update = self.message_update(chat_id, text)
        update.pop("update_id")
        return self._update(**update)

    def texts_to(self, chat_id):
        return [body["text"] for body in self.sent if str(body["chat_id"]) == str(chat_id)]
