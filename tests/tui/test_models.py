"""Models section: serverless models with pricing (filter, sort, details, select), on-demand
deployments (only usable ones; choosing one sets host, key and user id like `tm init --sync`), a
model name typed by hand, the start-up cache, and errors shown in place."""

from __future__ import annotations

import pytest
import respx
from textual.widgets import Input, Static, TabbedContent

from tm_tui.config import ProfileStore
from tm_tui.emulator.state import DEMO_DEPLOYMENT_KEY, DEMO_USER_ID
from tm_tui.screens.models import ModelsScreen
from tm_tui.store.cache import Cache
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.deployment_table import DeploymentTable
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.model_table import ModelTable

from .helpers import SIZE, frozen_emulator, open_section, plain, settle, snapshot_of

MODELS = "models"
GPT_OSS = "openai/gpt-oss-120b"


@pytest.fixture
def emulator():
    with frozen_emulator() as running:
        yield running


def model_table(app) -> ModelTable:
    return app.screen.query_one(ModelTable)


def deployments(app) -> DeploymentTable:
    return app.screen.query_one(DeploymentTable)


def choice(app) -> str:
    return plain(app.screen.query_one("#choice-message", Static))


def cells(table, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_serverless_models_with_pricing_filter_sort_and_select(emulator_env, make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        assert isinstance(app.screen, ModelsScreen)
        table = model_table(app)
        assert [r.id for r in table.visible_rows][0] == "deepseek-ai/DeepSeek-R1-0528"  # by name, any case
        assert table.row_count == 5
        assert cells(table, table.get_row_index(GPT_OSS)) == [
            GPT_OSS,
            "131,072",
            "$0.15",
            "$0.60",
            "$0.015",
            "yes",
        ]
        qwen = table.get_row_index("Qwen/Qwen3-30B-A3B-Instruct-2507")
        assert cells(table, qwen)[4] == "—"  # no cached price for this one

        await pilot.press("slash", *"gpt", "enter")  # filter as you type; enter goes to the table
        assert [r.id for r in table.visible_rows] == [GPT_OSS]
        assert app.screen.focused is table
        details = plain(app.screen.query_one("#model-details", Static))
        assert "131,072 tokens" in details and "$0.60 / 1M tokens" in details and "enter selects" in details

        await pilot.press("slash", *("backspace",) * 3)
        assert table.row_count == 5
        table.focus()
        await pilot.press("s")  # sort by context length, ascending
        assert table.sort_key == "context_length"
        assert table.visible_rows[0].id == "meta-llama/Llama-3.3-70B-Instruct"
        await pilot.press("S")
        assert table.visible_rows[0].id == "Qwen/Qwen3-30B-A3B-Instruct-2507"

        table.move_cursor(row=table.get_row_index(GPT_OSS))
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.model("serverless") == GPT_OSS
        assert app.context.model == GPT_OSS and app.context.surface == "serverless"
        assert f"model {GPT_OSS}" in str(app.screen.query_one(ContextBar).render())
        assert ProfileStore(isolated_dirs["TM_TUI_CONFIG_DIR"]).get("default").model == GPT_OSS
        assert "✓ selected" in plain(app.screen.query_one("#model-details", Static))


async def test_prices_need_a_login(emulator, make_app, monkeypatch):
    monkeypatch.setenv("TENSORMESH_INFERENCE_API_KEY", emulator.inference_api_key)
    app = make_app(
        serverless_url=emulator.serverless_base_url, control_plane_url=emulator.control_plane_base_url
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        table = model_table(app)
        assert table.row_count == 5
        assert all(cells(table, i)[2:] == ["—", "—", "—", "—"] for i in range(table.row_count))
        assert "until you log in" in plain(app.screen.query_one("#serverless-hint", Static))
        app.screen.query_one(TabbedContent).active = "tab-on_demand"
        assert "Log in to the control plane" in plain(app.screen.query_one("#on-demand-hint", Static))


async def test_choosing_a_deployment_sets_host_key_and_user_id(on_demand_profile, emulator, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        await pilot.press("2")
        table = deployments(app)
        rows = {cells(table, i)[0]: cells(table, i) for i in range(table.row_count)}
        assert rows["ada-qwen-coder"][1:4] == ["up", "2× A100", "lambda"]
        assert rows["ada-mistral-nemo"][5] == "status is pending, not up"
        assert rows["ada-phi3-mini"][5] == "status is deleted, not up"

        table.focus()
        table.move_cursor(row=list(rows).index("ada-mistral-nemo"))
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot be used: status is pending" in choice(app)
        assert app.session.model("on_demand") is None

        table.move_cursor(row=list(rows).index("ada-qwen-coder"))
        await pilot.press("enter")
        await settle(pilot)
        session = app.session
        settings = session.settings
        assert settings.gateway_provider.value == "lambda"
        assert settings.on_demand_base_url.value == emulator.on_demand_base_url  # the provider's host
        assert settings.inference_api_key.value.reveal() == DEMO_DEPLOYMENT_KEY
        assert settings.on_demand_user_id.value == DEMO_USER_ID  # from /auth/profile
        assert (session.surface, session.model("on_demand")) == ("on_demand", "ada-qwen-coder")
        assert "surface on-demand" in str(app.screen.query_one(ContextBar).render())
        assert "model ada-qwen-coder" in str(app.screen.query_one(ContextBar).render())
        stored = on_demand_profile.get("lab")
        assert (stored.gateway_provider, stored.on_demand_user_id, stored.on_demand_model) == (
            "lambda",
            DEMO_USER_ID,
            "ada-qwen-coder",
        )
        served = await session.inference("on_demand").models()  # the stored setup really works
        assert "ada-qwen-coder" in served.ids


async def test_an_on_demand_model_typed_by_hand(on_demand_profile, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        await pilot.press("m")
        assert app.screen.focused is app.screen.query_one("#manual-model", Input)
        await pilot.press("enter")
        assert "Type the served model name" in choice(app)
        await pilot.press(*"my-gateway-model", "enter")
        await settle(pilot)
        assert app.session.model("on_demand") == "my-gateway-model"
        assert app.context.surface == "on_demand"
        assert on_demand_profile.get("lab").on_demand_model == "my-gateway-model"


async def test_the_last_list_is_shown_from_the_cache_while_errors_show_in_place(
    emulator_env, emulator, make_app, isolated_dirs
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
    assert (
        len(
            Cache.load(isolated_dirs["TM_TUI_DATA_DIR"] / "cache.json")
            .profile("default")
            .models["serverless"]
        )
        == 5
    )

    emulator.state.faults.add("status=503@serverless:/v1/models")
    emulator.state.faults.add("status=503@control_plane:/v1/models")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await again.run_action("open_section('models')")
        await pilot.pause()
        assert model_table(again).row_count == 5  # from the cache, whatever the network says
        await settle(pilot)
        screen = again.screen
        error = screen.query_one("#serverless-error", ErrorPanel)
        assert error.display and error.info.title == "Server error"
        assert "retry in a moment" in str(error.render())
        assert model_table(again).row_count == 5  # the last known list stays
        assert "last known list" in plain(screen.query_one("#serverless-hint", Static))
        on_demand_error = screen.query_one("#on-demand-error", ErrorPanel)
        assert on_demand_error.display and "503" in str(on_demand_error.render())


async def test_an_unreachable_control_plane_is_reported_on_the_on_demand_tab(emulator, make_app, monkeypatch):
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    app = make_app(serverless_url=emulator.serverless_base_url, control_plane_url="http://127.0.0.1:9")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        error = app.screen.query_one("#on-demand-error", ErrorPanel)
        assert error.display and error.info.title == "Unreachable"
        assert app.is_running


async def test_untrusted_server_text_is_plain_text(emulator_env, emulator, make_app):
    emulator.state.faults.add("markup@control_plane:/v1/billing/serverless-pricing")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        row = model_table(app).current
        assert "[bold red]ALERT[/bold red]" in row.display_name  # the hostile pricing name arrived
        details = plain(app.screen.query_one("#model-details", Static))
        assert "[bold red]ALERT[/bold red]" in details  # shown literally, never as markup
        assert "\x1b" not in details  # escape sequences neutralised


def test_snapshot_models_serverless(emulator_env, make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(MODELS))


def test_snapshot_models_on_demand(emulator_env, make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(MODELS, "2"))


async def test_an_unreachable_serverless_host_is_reported_where_the_user_can_see_it(make_app):
    app = make_app(serverless_url="http://127.0.0.1:9")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        error = app.screen.query_one("#serverless-error", ErrorPanel)
        assert error.display and error.info.title == "Unreachable"
        # Rendered on screen, not laid out below the (empty) table's full height.
        assert "Unreachable" in app.export_screenshot()


async def test_number_keys_on_the_serverless_table_switch_tabs(emulator_env, make_app):
    """The footer offers `2 On-demand` while the table has focus: 2 must open that tab, not the filter."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, MODELS)
        table = model_table(app)
        table.focus()
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-on_demand"
        assert app.screen.query_one("#model-filter", Input).value == ""
        await pilot.press("1")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-serverless"


LLAMA = "http://llama.localhost"  # a llama-server stand-in: its /v1/models entries carry `meta`, no max_model_len
LLAMA_MODELS = {
    "object": "list",
    "data": [
        {"id": "smollm2", "owned_by": "llamacpp", "meta": {"n_ctx": 2048, "n_ctx_train": 8192}},
        {"id": "Zeta-7B", "owned_by": "llamacpp", "meta": {"n_ctx_train": 4096}},
        {"id": "alpha-1", "owned_by": "llamacpp"},
    ],
}


async def test_llama_server_models_show_the_context_it_reports_sorted_case_insensitively(
    emulator_env, emulator, make_app
):
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{LLAMA}/v1/models").respond(json=LLAMA_MODELS)
        mock.route(host="127.0.0.1").pass_through()  # the emulator's control plane
        app = make_app(serverless_url=LLAMA)
        async with app.run_test(size=SIZE) as pilot:
            await open_section(pilot, MODELS)
            table = model_table(app)
            assert [r.id for r in table.visible_rows] == ["alpha-1", "smollm2", "Zeta-7B"]
            assert cells(table, table.get_row_index("smollm2"))[1] == "2,048"

            async def details_of(model: str) -> str:
                table.move_cursor(row=table.get_row_index(model))
                await pilot.pause()
                return plain(app.screen.query_one("#model-details", Static))

            assert "2,048 tokens (trained max 8,192)" in await details_of("smollm2")
            assert "unknown (trained max 4,096)" in await details_of("Zeta-7B")
