CREATE VIEW item_names AS SELECT name FROM items;
