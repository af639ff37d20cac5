"""The Redis fixture: a private server on loopback, empty, and working."""


def test_private_redis_answers(redis_server):
    client = redis_server.client
    assert client.ping()
    assert client.dbsize() == 0
    client.set("waypost:test", "1")
    assert client.incr("waypost:test") == 2
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    assert client.config_get("save")["save"] == ""
    assert redis_server.address == f"127.0.0.1:{redis_server.port}"


def test_each_test_gets_its_own_server(redis_server):
    assert redis_server.client.get("waypost:test") is None
