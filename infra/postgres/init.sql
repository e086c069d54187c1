-- One database and one role per service; each role owns only its database (ARCHITECTURE.md, "Ownership rules").
-- Passwords come from the compose environment via psql variables (see init.sh).
CREATE ROLE auth LOGIN PASSWORD :'auth_password';
CREATE ROLE qr LOGIN PASSWORD :'qr_password';
CREATE ROLE gateway LOGIN PASSWORD :'gateway_password';
CREATE ROLE bom LOGIN PASSWORD :'bom_password';
CREATE ROLE metering LOGIN PASSWORD :'metering_password';

CREATE DATABASE auth OWNER auth;
CREATE DATABASE qr OWNER qr;
CREATE DATABASE gateway OWNER gateway;
CREATE DATABASE bom OWNER bom;
CREATE DATABASE metering OWNER metering;

REVOKE ALL ON DATABASE auth, qr, gateway, bom, metering FROM PUBLIC;
