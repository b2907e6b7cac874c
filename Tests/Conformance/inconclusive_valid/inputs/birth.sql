-- Birth: a continuity container must belong to a flow; drop the orphans.
DELETE FROM continuity_containers WHERE selfservice_flow_id IS NULL;
