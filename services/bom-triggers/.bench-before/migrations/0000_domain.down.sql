DROP TABLE IF EXISTS "task_costs";
--> statement-breakpoint
DROP TABLE IF EXISTS "task_bom_items";
--> statement-breakpoint
DROP TABLE IF EXISTS "tasks";
--> statement-breakpoint
DROP TABLE IF EXISTS "materials";
--> statement-breakpoint
DROP TABLE IF EXISTS "tenant_setups";
