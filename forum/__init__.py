"""The course forum: courses, assignments, threads, posts, votes, accepted and endorsed answers."""
