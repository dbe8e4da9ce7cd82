-- A name for a scan run (`scan --run NAME`, e.g. the night's date): the workers of one Job share
-- it, and `scan --resume --run NAME` skips the targets any of them finished.
ALTER TABLE scans ADD COLUMN label TEXT;
CREATE INDEX scans_by_label ON scans (label);
