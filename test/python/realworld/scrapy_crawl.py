"""A Scrapy crawl of a local twisted.web site (port 0, same reactor): PAGES pages linking to
each other plus some missing links (404s), an item per page; prints the sorted items and the
deterministic crawl stats.  ``python scrapy_crawl.py [PAGES]`` (default 60).

With ``SCRAPY_CRAWL_CPU_OUT=FILE`` it also writes the CPU time of the crawl itself (reactor start
to stop, every thread) to FILE: ``bench/python/scrapy_crawl.py`` measures with it."""

import logging
import os
import sys
import time

import scrapy
from scrapy.crawler import CrawlerRunner
from twisted.internet import reactor
from twisted.web import resource, server

PAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 60


class Page(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        n = int(request.path.rsplit(b"/", 1)[-1] or 0)
        if n >= PAGES:
            request.setResponseCode(404)
            return b"no such page"
        links = "".join(
            '<a href="/page/%d">p%d</a>' % (m, m) for m in (n * 2 + 1, n * 2 + 2, n + 7)
        )
        return ("<html><h1>page %d</h1>%s</html>" % (n, links)).encode()


class Pages(scrapy.Spider):
    name = "pages"
    custom_settings = {"HTTPERROR_ALLOW_ALL": False}

    def __init__(self, base, items, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [base + "/page/0"]
        self.items = items

    def parse(self, response):
        title = response.css("h1::text").get()
        self.items.append(title)
        yield {"title": title}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)


def main():
    logging.disable(logging.CRITICAL)  # Scrapy's log has times in it; the stats below do not
    port = reactor.listenTCP(0, server.Site(Page()), interface="127.0.0.1")
    base = "http://127.0.0.1:%d" % port.getHost().port
    runner = CrawlerRunner(
        {
            "LOG_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 8,
            "ROBOTSTXT_OBEY": False,
        }
    )
    items = []
    crawler = runner.create_crawler(Pages)
    d = runner.crawl(crawler, base=base, items=items)
    d.addBoth(lambda _: port.stopListening())
    d.addBoth(lambda _: reactor.stop())
    started = time.process_time()
    reactor.run()
    cpu_out = os.environ.get("SCRAPY_CRAWL_CPU_OUT")
    if cpu_out:
        with open(cpu_out, "w") as handle:
            handle.write(repr(time.process_time() - started))
    stats = crawler.stats.get_stats()
    print("items", len(items), sorted(items, key=lambda t: int(t.split()[1]))[:5])
    for key in sorted(stats):
        if key.startswith(
            (
                "downloader/response_status_count",
                "item_scraped_count",
                "response_received_count",
                "finish_reason",
                "dupefilter",
            )
        ):
            print(key, stats[key])


if __name__ == "__main__":
    main()
