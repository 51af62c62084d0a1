"""What search engines read: the sitemap and robots.txt."""
