-- Each check must return one row holding true.

-- check: phone is back in customers
SELECT count(*) = 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'customers' AND column_name = 'phone';

-- check: customer_phones is gone
SELECT to_regclass('public.customer_phones') IS NULL;

-- check: customers have phone numbers again
SELECT count(*) > 0 FROM customers WHERE phone IS NOT NULL;

-- check: the view still answers
SELECT count(*) = (SELECT count(*) FROM customers) FROM customer_order_totals;

-- check: the surrogate tag is intact
SELECT value = 'GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP' FROM rehearse_provenance WHERE key = 'tag';
