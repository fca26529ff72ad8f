"""The manager's dashboard: access, forms, report pages, the scale designer and the what-if."""
