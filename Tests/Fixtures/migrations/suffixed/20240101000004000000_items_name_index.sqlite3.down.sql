DROP INDEX items_name;
