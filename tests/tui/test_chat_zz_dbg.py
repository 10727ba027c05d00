from tests.tui.conftest import SIZE, settle
from tests.tui.test_chat import PLAIN_MODEL, open_chat, send
async def test_dbg(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "about penguins")
        await pilot.press("ctrl+o")
        await settle(pilot)
        b = app.screen
        print("hl", b.query_one("#history-list").highlighted, b.summaries)
        print({k: (v.node, v.binding.action) for k, v in b.active_bindings.items() if k in ("f2","ctrl+d")})
        await pilot.press("f2")
        print("renaming", b._renaming, app.focused, b.query_one("#history-search").value)
        b.query_one("#history-search").value = "Penguin facts"
        await pilot.press("enter")
        await settle(pilot)
        print("renaming", b._renaming, app.screen)
