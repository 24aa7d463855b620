"""Demo content for a new instance: believable accounts and a follow graph, from a seed.

Everything is written through the same service functions the API uses. Later issues add posts,
likes and comments to what this makes.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import services as accounts
from viewfinder.accounts.models import User
from viewfinder.graph import services as graph

DEMO_PASSWORD = "viewfinder-demo-password"  # noqa: S105 (demo accounts are public on purpose)
FIRST_NAMES = [
    "Ada", "Bruno", "Chiara", "Dev", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kemi",
    "Luca", "Mei", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Sato",
]  # fmt: skip
BIOS = [
    "Film photographer. Mostly streets, sometimes cats.",
    "Chasing light in the mountains.",
    "Coffee, bikes and 35mm.",
    "Food I cooked and places I walked.",
    "Architecture nerd. Lines and shadows.",
    "",
]


async def instance_is_empty(db: AsyncSession) -> bool:
    return (await db.scalar(select(func.count()).select_from(User))) == 0


async def load_demo(db: AsyncSession, *, users: int = 40, seed: int = 7) -> list[User]:
    """Create `users` demo accounts with a power-law follow graph; deterministic from the seed."""
    rng = random.Random(seed)  # noqa: S311 (repeatable demo data, not secrets)
    people: list[User] = []
    for index in range(users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first}.{last}{index}".lower()[:30]
        user = await accounts.signup(
            db, username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
        )
        await accounts.update_profile(
            db,
            user,
            accounts.ProfileChanges(
                display_name=f"{first} {last}",
                bio=rng.choice(BIOS),
                is_private=rng.random() < 0.1,
            ),
        )
        people.append(user)
    # Preferential attachment: early accounts gather most followers, as on real networks.
    weights = [1 / (rank + 1) for rank in range(len(people))]
    for follower in people:
        count = min(len(people) - 1, int(rng.paretovariate(1.2) * 3))
        for followee in set(rng.choices(people, weights=weights, k=count)):
            if followee.id != follower.id:
                await graph.follow(db, follower, followee)
    return people
