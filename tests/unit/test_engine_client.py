"""The runner's Docker client: one pool of reused connections to the engine's socket, and a
container's log, which comes in one response, split into its stdout and stderr."""

from services.runner import OnePoolAdapter, Runner, demultiplexed


def frame(stream, data):
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_log_frames_are_split_by_stream_in_order():
    data = frame(1, b"out 1\n") + frame(2, b"err\n") + frame(1, b"out 2\n") + frame(0, b"stdin?") + frame(1, b"")
    assert demultiplexed(data) == (b"out 1\nout 2\n", b"err\n")


def test_a_log_cut_short_keeps_what_arrived():
    assert demultiplexed(frame(1, b"whole\n") + frame(2, b"cut short")[:-3]) == (b"whole\n", b"cut sh")
    assert demultiplexed(frame(1, b"whole\n") + frame(2, b"x")[:5]) == (b"whole\n", b"")
    assert demultiplexed(b"") == (b"", b"")


def test_requests_to_the_engine_share_one_pool_of_connections():
    runner = Runner(instance="gc-test-engine-client")
    api = runner.client.api
    for _ in range(3):  # each a different path; docker-py alone keeps a pool (and a connection) per URL
        assert runner.image_id("gc-hub-test/never-built:absent") is None
        api.version()
        runner.client.containers.list(all=True, filters={"label": "org.gc-hub.instance=gc-test-engine-client"})
    adapter = api.get_adapter(api.base_url)
    assert isinstance(adapter, OnePoolAdapter)
    assert len(adapter.pools) == 1
