-- Each check must return one row holding true.

-- check: phone is back as the fourth column of customers
SELECT count(*) = 1 FROM pragma_table_info('customers') WHERE name = 'phone' AND cid = 3;

-- check: customer_phones is gone
SELECT count(*) = 0 FROM sqlite_schema WHERE name = 'customer_phones';

-- check: customers have phone numbers again
SELECT count(*) > 0 FROM customers WHERE phone IS NOT NULL;

-- check: the view still answers
SELECT count(*) = (SELECT count(*) FROM customers) FROM customer_order_totals;

-- check: the surrogate tag is intact
SELECT value = 'GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP' FROM rehearse_provenance WHERE key = 'tag';
