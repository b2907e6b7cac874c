-- Each check must return one row holding true.

-- check: phone numbers were backfilled into customer_phones
SELECT count(*) > 0 FROM customer_phones;

-- check: customers no longer has a phone column
SELECT count(*) = 0 FROM pragma_table_info('customers') WHERE name = 'phone';

-- check: every customer_phones row belongs to a customer
SELECT count(*) = 0 FROM customer_phones AS p LEFT JOIN customers AS c ON c.id = p.customer_id WHERE c.id IS NULL;

-- check: every moved phone satisfies the length rule
SELECT count(*) = 0 FROM customer_phones WHERE length(phone) NOT BETWEEN 7 AND 20;

-- check: the dashboard index exists
SELECT count(*) = 1 FROM sqlite_schema WHERE type = 'index' AND name = 'idx_orders_status_placed';
