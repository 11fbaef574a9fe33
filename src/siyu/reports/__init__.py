"""Daily, monthly and annual reports: figures from siyu.analytics, tables, exports."""
