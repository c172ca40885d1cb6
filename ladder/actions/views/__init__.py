"""The public pages (`public`) and the staff screens (`staff`) of actions."""
