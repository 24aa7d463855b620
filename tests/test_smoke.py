def test_private_follow_flow(alice, bob):
    assert alice.patch("/accounts/me", json={"is_private": True}).status_code == 200
    assert bob.post("/users/alice/follow").json() == {"state": "requested"}
    requests = alice.get("/accounts/follow-requests").json()
    assert [u["username"] for u in requests["items"]] == ["bob"]
    assert alice.post("/accounts/follow-requests/bob/approve").status_code == 204
    followers = bob.get("/users/alice/followers").json()
    assert [u["username"] for u in followers["items"]] == ["bob"]
    assert bob.get("/users/alice").json()["followers_count"] == 1
