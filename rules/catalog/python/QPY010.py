import asyncio
import time
from time import sleep


async def poll(client):
    while not await client.ready():
        time.sleep(1)  # expect: QPY010
        sleep(0.5)  # expect: QPY010
        await asyncio.sleep(1)  # ok: QPY010


def sync_poll(client):
    time.sleep(1)  # ok: QPY010

    async def inner():
        if True:
            time.sleep(2)  # expect: QPY010

    def helper():
        time.sleep(3)  # ok: QPY010

    return inner, helper
