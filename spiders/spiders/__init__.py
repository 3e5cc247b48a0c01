"""The Scrapy spiders of newsetl; each crawls one source of ``schemas/sources.yml``."""
