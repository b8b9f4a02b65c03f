"""A small WebDriver BiDi client for the Firefox tests (websocket-client): it joins the session
Marionette made, as a suite's Selenium would, and drives pages with `script.callFunction`. Every
receive has a socket timeout, and page calls are raced against a timer in the page (rig.py)."""
from __future__ import annotations

import json

import websocket

from rig import PAGE_CALL_TIMEOUT, WATCHDOG_GRACE, bounded_function


class BiDiError(AssertionError):
    pass


def serialize(value):
    """A Python value as a BiDi LocalValue."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, (int, float)):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "value": [serialize(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "object", "value": [[k, serialize(v)] for k, v in value.items()]}
    raise TypeError(value)


def deserialize(remote):
    """A BiDi RemoteValue as a Python value (primitives, arrays, plain objects)."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return value if not isinstance(value, float) or not value.is_integer() else int(value)
    if kind == "array":
        return [deserialize(v) for v in remote.get("value", [])]
    if kind == "object":
        return {k if isinstance(k, str) else deserialize(k): deserialize(v) for k, v in remote.get("value", [])}
    return f"<{kind}>"


class BiDi:
    def __init__(self, url: str):
        self.socket = websocket.create_connection(url, suppress_origin=True, timeout=PAGE_CALL_TIMEOUT + WATCHDOG_GRACE)
        self.next_id = 0

    def close(self):
        self.socket.close()

    def send(self, method: str, params: dict) -> dict:
        self.next_id += 1
        number = self.next_id
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                if message.get("type") == "error":
                    raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
                return message["result"]

    def top_context(self) -> str:
        return self.send("browsingContext.getTree", {})["contexts"][0]["context"]

    def new_tab(self) -> str:
        return self.send("browsingContext.create", {"type": "tab"})["context"]

    def navigate(self, context: str, url: str):
        self.send("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"})

    def reload(self, context: str):
        self.send("browsingContext.reload", {"context": context, "wait": "complete"})

    def children(self, context: str) -> list[dict]:
        tree = self.send("browsingContext.getTree", {"root": context})["contexts"][0]
        return tree.get("children") or []

    def run(self, context: str, source: str, arg=None, timeout: float = PAGE_CALL_TIMEOUT):
        """Calls `source` in the context's page, bounded by a timer in the page."""
        result = self.send("script.callFunction", {
            "functionDeclaration": bounded_function(source, timeout), "arguments": [serialize(arg)],
            "target": {"context": context}, "awaitPromise": True, "resultOwnership": "none",
            "serializationOptions": {"maxObjectDepth": 20}})
        if result["type"] == "exception":
            raise BiDiError(result["exceptionDetails"].get("text"))
        return deserialize(result["result"])
