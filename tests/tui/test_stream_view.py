"""A streamed answer's widget: what it costs the event loop when the answer ends (issue #13 item 3)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Markdown

from tm_tui.store.history import MessageStatus
from tm_tui.widgets.chat_message import AssistantMessage

from .helpers import SIZE, settle

ANSWER = "\n\n".join(f"## Part {n}\n\nSome text about part {n}.\n\n- one\n- two" for n in range(6))


class Host(App[None]):
    CSS_PATH = Path(__file__).parents[2] / "src/tm_tui/widgets/chat_message.tcss"

    def compose(self) -> ComposeResult:
        yield AssistantMessage(None, model="m")


async def test_ending_an_answer_restyles_the_message_not_every_block_of_its_answer():
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        message = app.query_one(AssistantMessage)
        assert message.has_class("-streaming")
        await message.show_live(ANSWER, "")
        await settle(pilot)
        streaming_border = message.styles.border_left
        restyled: list[object] = []
        update_nodes = app.stylesheet.update_nodes

        def recording(nodes, animate: bool = False) -> None:
            nodes = list(nodes)
            restyled.extend(nodes)
            update_nodes(nodes, animate=animate)

        app.stylesheet.update_nodes = recording  # type: ignore[method-assign]
        await message.finish(ANSWER, "", MessageStatus.COMPLETE, None)
        await settle(pilot)
        assert not message.has_class("-streaming") and message.styles.border_left != streaming_border
        assert message in restyled
        answer = message.query_one(".answer", Markdown)
        assert answer.source == ANSWER and len(answer.children) > 6  # rendered, block by block
        assert not [node for node in restyled if node is not message], "the answer's blocks were restyled"
