-- What survivorship read of each record when it was last resolved (its values, extraction
-- time, source priority and the attributes' rules), as a digest: a run rebuilds the golden
-- records only of customers whose records or members changed. Records resolved before it
-- was kept count as changed once.
ALTER TABLE core.customer_xref ADD COLUMN survivorship_digest TEXT;
