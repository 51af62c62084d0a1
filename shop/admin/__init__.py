"""The staff admin at /admin/: workflow screens per domain, calling the same services as the
storefront, and an audit log of every staff write."""
