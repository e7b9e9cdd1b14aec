"""The pytest plugin as a project gets it: found through its entry point, its option and marker,
and an app's failure failing the test that set it off."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _quiet_pytest_asyncio(pytester: pytest.Pytester) -> None:
    # pytest-asyncio (installed beside the plugin) warns in every run that does not set this.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_the_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig()
    plugin = config.pluginmanager.get_plugin("plivo_blocks")
    assert plugin is not None and plugin.__name__ == "plivo_blocks.testing.plugin"


def test_the_clock_option_and_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_option(plivo_sandbox):
            assert plivo_sandbox.state.clock.spec.label == "real"

        @pytest.mark.plivo_sandbox(clock="manual")
        def test_marker_wins(plivo_sandbox):
            assert plivo_sandbox.state.clock.spec.label == "manual"

        def test_server_too(plivo_sandbox_server):
            assert plivo_sandbox_server.state.clock.spec.label == "real"
        """
    )
    pytester.runpytest("--plivo-sandbox-clock=real").assert_outcomes(passed=3)


def test_a_bad_clock_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--plivo-sandbox-clock=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--plivo-sandbox-clock: clock 'fast': mode must be one of real, scaled, manual*"]
    )


def test_a_misused_marker_is_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.plivo_sandbox(apps={}, speed=2)
        def test_marked(plivo_sandbox):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown keyword 'speed' (it takes apps, clock and settings)*"])


def test_an_app_failure_nobody_reported_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from flask import Flask

        app = Flask("broken")

        @app.post("/sms")
        def sms():
            raise LookupError("the view lost its way")

        @pytest.fixture
        def plivo_sandbox_apps():
            return {"https://broken.test": app}
        """
    )
    pytester.makepyfile(
        """
        import httpx, plivo

        def test_sms(plivo_sandbox):
            client = plivo.RestClient("MAALICE0000000000001", "token")
            app_id = client.applications.create(app_name="a", message_url="https://broken.test/sms").app_id
            number = client.numbers.search(country_iso="US", type="local").objects[0]["number"]
            client.numbers.buy(number, app_id=app_id)
            auth = (plivo_sandbox.auth_id, plivo_sandbox.auth_token)
            httpx.post("https://api.plivo.com/_sandbox/messages/inbound",
                       json={"from": "14155550123", "to": number, "text": "hi"}, auth=auth)
            httpx.post("https://api.plivo.com/_sandbox/calls/settle", json={}, auth=auth)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sms*",
            "*PlivoAppError: the app at https://broken.test failed while the sandbox called it: "
            "POST https://broken.test/sms -> LookupError: the view lost its way*",
        ]
    )
