#!/usr/bin/env python3
"""A counting TCP relay on loopback: every connection a scanner opens to the listen port is
forwarded to the target and counted, so connection counts come from outside the scanner.

usage: relay.py TARGET_PORT PORT_FILE COUNT_FILE
Listens on 127.0.0.1 (a port the kernel picks, written to PORT_FILE) and forwards to
127.0.0.1:TARGET_PORT. COUNT_FILE always holds the number of connections accepted so far;
truncate it to reset. Runs until killed."""
import asyncio
import sys

target_port, port_file, count_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def bump():
    try:
        with open(count_file) as f:
            n = int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        n = 0
    with open(count_file, "w") as f:
        f.write(str(n + 1))


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(client_reader, client_writer):
    bump()
    try:
        server_reader, server_writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", target_port), timeout=10
        )
    except (OSError, asyncio.TimeoutError):
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
