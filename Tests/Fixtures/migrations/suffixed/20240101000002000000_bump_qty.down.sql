UPDATE items SET qty = 0;
