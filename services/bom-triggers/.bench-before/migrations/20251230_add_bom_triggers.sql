-- Seed 002's migration 20251230_add_bom_triggers: the BOM trigger system. Tables and indexes as drizzle-kit
-- generated them from src/db/schema; the maintenance function and the seed's example triggers written by hand.
CREATE TABLE "bom_trigger_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "bom_trigger_logs_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" uuid NOT NULL,
	"trigger_id" uuid,
	"trigger_name" varchar(100) NOT NULL,
	"task_id" uuid,
	"event" varchar(50) NOT NULL,
	"outcome" varchar(20) NOT NULL,
	"success" boolean NOT NULL,
	"input_data" jsonb NOT NULL,
	"output_data" jsonb,
	"error" text,
	"duration_ms" double precision NOT NULL,
	"depth" integer NOT NULL,
	"chain_id" uuid NOT NULL,
	"executed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bom_triggers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"name" varchar(100) NOT NULL,
	"description" text,
	"trigger_event" varchar(50) NOT NULL,
	"action_type" varchar(50) NOT NULL,
	"conditions" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"action_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"abort_on_error" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bom_triggers_event_known" CHECK (trigger_event in ('ON_TASK_CREATE', 'ON_STATUS_CHANGE', 'ON_TASK_COMPLETE', 'ON_MATERIAL_ADD', 'ON_QUANTITY_CHANGE')),
	CONSTRAINT "bom_triggers_action_known" CHECK (action_type in ('ADD_MATERIAL', 'UPDATE_QUANTITY', 'REMOVE_MATERIAL', 'NOTIFY', 'CALCULATE_COST'))
);
--> statement-breakpoint
ALTER TABLE "bom_trigger_logs" ADD CONSTRAINT "bom_trigger_logs_trigger_id_bom_triggers_id_fk" FOREIGN KEY ("trigger_id") REFERENCES "public"."bom_triggers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bom_trigger_logs" ADD CONSTRAINT "bom_trigger_logs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_bom_trigger_logs_trigger_executed" ON "bom_trigger_logs" USING btree ("trigger_id","executed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_bom_trigger_logs_executed_at" ON "bom_trigger_logs" USING btree ("executed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_bom_trigger_logs_tenant_seq" ON "bom_trigger_logs" USING btree ("tenant_id","seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_bom_trigger_logs_task" ON "bom_trigger_logs" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "idx_bom_trigger_logs_failed" ON "bom_trigger_logs" USING btree ("executed_at" DESC NULLS LAST) WHERE "bom_trigger_logs"."success" = false;--> statement-breakpoint
CREATE INDEX "idx_bom_triggers_trigger_event" ON "bom_triggers" USING btree ("trigger_event");--> statement-breakpoint
CREATE INDEX "idx_bom_triggers_is_active" ON "bom_triggers" USING btree ("is_active");--> statement-breakpoint
CREATE INDEX "idx_bom_triggers_priority" ON "bom_triggers" USING btree ("priority");--> statement-breakpoint
CREATE INDEX "idx_bom_triggers_tenant_event" ON "bom_triggers" USING btree ("tenant_id","trigger_event","is_active","priority" DESC NULLS LAST);
--> statement-breakpoint
-- `SELECT cleanup_old_trigger_logs(90);` removes execution logs older than `days` days and answers how many.
CREATE OR REPLACE FUNCTION cleanup_old_trigger_logs(days integer DEFAULT 90)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  removed integer;
BEGIN
  IF days IS NULL OR days < 0 THEN
    RAISE EXCEPTION 'cleanup_old_trigger_logs: days must be 0 or more, got %', days;
  END IF;
  DELETE FROM bom_trigger_logs WHERE executed_at < now() - make_interval(days => days);
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END;
$$;
--> statement-breakpoint
-- The seed's three example triggers and the material the first one adds, as templates: rows without a tenant,
-- copied into each tenant on its first call (src/tenant-setup.ts). The material survives this migration's down
-- file (it lives in 0000's table), hence ON CONFLICT.
INSERT INTO materials (tenant_id, sku, name, unit, unit_cost)
VALUES (NULL, 'UTP-CAT6', 'UTP Cat6 cable', 'm', 0.4500)
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO bom_triggers (tenant_id, name, description, trigger_event, action_type, conditions, action_config, priority)
VALUES
  (NULL, 'Auto-add UTP cable to LAN tasks', 'Adds 50 m of UTP Cat6 cable to every new LAN task.',
   'ON_TASK_CREATE', 'ADD_MATERIAL', '{"all":[{"path":"task.type","operator":"eq","value":"LAN"}]}',
   '{"sku":"UTP-CAT6","quantity":"50"}', 10),
  (NULL, 'Notify on task completion',
   'Sends a signed webhook when a task is completed; set actionConfig.url to your endpoint.',
   'ON_TASK_COMPLETE', 'NOTIFY', '{}', '{"includeBom":true}', 0),
  (NULL, 'Calculate costs on material add', 'Recomputes the task''s cost totals whenever material is added.',
   'ON_MATERIAL_ADD', 'CALCULATE_COST', '{}', '{}', -100);
