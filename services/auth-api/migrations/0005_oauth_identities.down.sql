DROP TABLE IF EXISTS "identities";
