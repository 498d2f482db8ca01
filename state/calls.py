"""The call logs in the store (every model, tool and remote call) and the cache of remote
assets."""

from __future__ import annotations

from typing import Any

from webtv.core.clock import now
from webtv.state.rows import CachedAsset, EndpointHealth, ToolCall
from webtv.state.tables import Tables


class CallTables(Tables):
    """Store methods for the call logs and the asset cache."""

    # -- call logs -----------------------------------------------------------------------
    def log_llm_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["llm_calls"].insert({**fields, "created_at": now()}).last_pk

    def log_tool_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["tool_calls"].insert(
                {**fields, "ok": int(fields["ok"]), "created_at": now()}).last_pk

    def log_remote_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["remote_calls"].insert({**fields, "created_at": now()}).last_pk

    def endpoint_health(self) -> list[EndpointHealth]:
        """Per endpoint: attempts, failures, the last outcome and error, and the failures
        since its last success, from the call log."""
        return self._all(
            "select endpoint, capability, count(*) as attempts, "
            "sum(outcome = 'ok') as ok, sum(outcome != 'ok') as failed, "
            "max(created_at) as last_at, "
            "(select outcome from remote_calls r2 where r2.endpoint = r.endpoint "
            " order by id desc limit 1) as last_outcome, "
            "(select error from remote_calls r2 where r2.endpoint = r.endpoint and "
            " outcome != 'ok' order by id desc limit 1) as last_error, "
            # failures since its last success: a model that fails every take now
            "(select count(*) from remote_calls r3 where r3.endpoint = r.endpoint and r3.id > "
            " coalesce((select max(id) from remote_calls r4 where r4.endpoint = r.endpoint "
            " and r4.outcome = 'ok'), 0)) as failed_in_a_row "
            "from remote_calls r group by endpoint order by endpoint")

    def cached_asset(self, key: str) -> CachedAsset | None:
        return self._one("select * from assets where key = ?", (key,))

    def remember_asset(self, key: str, capability: str, backend: str, media: str) -> None:
        with self.transaction():
            self.db["assets"].upsert({"key": key, "capability": capability, "backend": backend,
                                      "media": media, "created_at": now()}, pk="key")

    def tool_call_count(self) -> int:
        return self.db["tool_calls"].count

    def tool_call_outcomes(self, made_by: str) -> list[bool]:
        """Whether each tool call (by the model, or by the code) was valid, oldest first."""
        return [bool(r["ok"]) for r in self._all(
            "select ok from tool_calls where made_by = ? order by id", (made_by,))]

    def llm_tokens(self) -> int:
        """Prompt and completion tokens of every model call logged."""
        return self._one("select coalesce(sum(prompt_tokens + completion_tokens), 0) as n "
                         "from llm_calls")["n"]

    def tool_calls(self, limit: int = 50) -> list[ToolCall]:
        return self._all("select * from tool_calls order by id desc limit ?", (limit,))

