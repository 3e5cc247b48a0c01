"""A crawl frontier shared by any number of processes, on scrapy-redis.

With ``NEWSETL_REDIS_URL`` set, :class:`SharedFrontier` (an add-on in ``ADDONS``) switches
Scrapy's scheduler to :class:`FrontierScheduler`: scrapy-redis's priority queue and
request-fingerprint filter in Redis, so every ``newsetl crawl SPIDER`` started on any machine
against the same Redis takes its requests from one queue and no URL is requested twice.
Without it, Scrapy's own scheduler runs as before.

Keys, per spider (``NEWSETL_FRONTIER`` is the prefix, ``newsetl`` by default)::

    <prefix>:<spider>:requests     the queue (scrapy-redis PriorityQueue)
    <prefix>:<spider>:dupefilter   fingerprints of the requests this crawl made
    <prefix>:<spider>:members      processes in the crawl, scored by their last heartbeat
    <prefix>:<spider>:state        each member's ``busy`` or ``idle``

A crawl begins when a process joins and no other member is alive: it clears what a previous
crawl left, so each crawl visits the list pages again (articles already landed are skipped by
the spiders' landing check, not by Redis). Processes that join while others are alive share
their crawl. A process whose own work ran out stays while another is busy, since that one may
still add requests; the crawl ends when the queue is empty and every member idle, and the
last to leave deletes its keys. A member silent for ``NEWSETL_FRONTIER_STALE`` seconds is
taken for dead; the requests it had taken and not finished are not landed, so the next crawl
fetches them.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy.settings import BaseSettings
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"
DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
HEARTBEATS_PER_STALE = 4  # heartbeats a member sends within its stale timeout
DEFAULT_PREFIX = "newsetl"

# Every script reads the clock of Redis (one clock for all machines) and first forgets the
# members whose last heartbeat is older than ARGV[2] seconds.
_FORGET_DEAD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
for _, m in ipairs(dead) do redis.call('HDEL', KEYS[2], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
"""
# KEYS: members, state, queue, dupefilter. Returns 1 when this member began a new crawl.
_JOIN = (
    _FORGET_DEAD
    + """
local first = redis.call('ZCARD', KEYS[1]) == 0
if first then redis.call('DEL', KEYS[3], KEYS[4]) end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], 'busy')
if first then return 1 end
return 0
"""
)
# KEYS: members, state. ARGV[3]: the member's state.
_BEAT = (
    _FORGET_DEAD
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 0
"""
)
# KEYS: members, state, queue. Marks the member idle; returns 1 when it may leave: nothing
# queued and no other live member busy.
_IDLE = (
    _FORGET_DEAD
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], 'idle')
if redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if m ~= ARGV[1] and redis.call('HGET', KEYS[2], m) == 'busy' then return 0 end
end
return 1
"""
)
# KEYS: members, state, queue, dupefilter. The last member out of a finished crawl deletes it.
_LEAVE = (
    _FORGET_DEAD
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
end
return 0
"""
)


def frontier_keys(prefix: str, spider: str) -> dict[str, str]:
    """The Redis keys of one spider's frontier, by role."""
    return {
        role: f"{prefix}:{spider}:{role}" for role in ("requests", "dupefilter", "members", "state")
    }


def frontier_prefix(settings: BaseSettings) -> str:
    """The key prefix ``NEWSETL_FRONTIER`` names (``newsetl`` when it is empty)."""
    return settings.get("NEWSETL_FRONTIER") or DEFAULT_PREFIX


class SharedFrontier:
    """Scrapy add-on: the Redis frontier when ``NEWSETL_REDIS_URL`` is set, else nothing."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("NEWSETL_REDIS_URL")
        if not url:
            return
        _check_reachable(url)
        keys = frontier_keys(frontier_prefix(settings), "%(spider)s")  # as scrapy-redis fills in
        for name, value in {
            "SCHEDULER": f"{__name__}.FrontierScheduler",
            "DUPEFILTER_CLASS": DUPEFILTER_CLASS,
            "SCHEDULER_QUEUE_CLASS": QUEUE_CLASS,
            "SCHEDULER_QUEUE_KEY": keys["requests"],
            "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
            "SCHEDULER_PERSIST": True,  # a crawl's keys outlive any one of its processes
            "REDIS_URL": url,
        }.items():
            settings.set(name, value, priority="addon")


def _check_reachable(url: str) -> None:
    """Refuse to start, with one line, when the Redis of ``url`` does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    where = "{host}:{port}/{db}".format(**client.connection_pool.connection_kwargs)
    try:
        client.ping()
    except redis.RedisError as error:
        raise ConnectionError(
            f"NEWSETL_REDIS_URL: Redis at {where} does not answer: {error}"
        ) from None
    finally:
        client.close()


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler, with the members of a crawl tracked (module docstring)."""

    crawler: Crawler
    member: str
    keys: dict[str, str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler: FrontierScheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.stale = crawler.settings.getfloat("NEWSETL_FRONTIER_STALE", 120.0)
        scheduler.prefix = frontier_prefix(crawler.settings)
        scheduler.busy = True
        scheduler._scripts = {
            name: scheduler.server.register_script(source)
            for name, source in (
                ("join", _JOIN),
                ("beat", _BEAT),
                ("idle", _IDLE),
                ("leave", _LEAVE),
            )
        }
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def _run(self, script: str, *roles: str) -> int:
        keys = [self.keys[role] for role in roles]
        state = "busy" if self.busy else "idle"
        return int(self._scripts[script](keys=keys, args=[self.member, self.stale, state]))

    def open(self, spider: Spider) -> Any:
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.keys = frontier_keys(self.prefix, spider.name)
        began = self._run("join", "members", "state", "requests", "dupefilter")
        self.crawler.stats.set_value("newsetl/frontier", "began" if began else "joined")
        spider.logger.info(
            "shared frontier %s: %s the crawl as %s",
            self.keys["requests"],
            "began" if began else "joined",
            self.member,
        )
        self._heartbeat = task.LoopingCall(self._run, "beat", "members", "state")
        self._heartbeat.start(self.stale / HEARTBEATS_PER_STALE, now=False)
        return super().open(spider)

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None and not self.busy:
            self.busy = True
            self._run("beat", "members", "state")
        return request

    def spider_idle(self, spider: Spider) -> None:
        """Out of work here: stay while the queue holds requests or another member is busy."""
        self.busy = False
        if not self._run("idle", "members", "state", "requests"):
            raise DontCloseSpider

    def close(self, reason: str) -> Any:
        if self._heartbeat.running:
            self._heartbeat.stop()
        self._run("leave", "members", "state", "requests", "dupefilter")
        return super().close(reason)
