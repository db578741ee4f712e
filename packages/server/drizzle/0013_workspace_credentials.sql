ALTER TABLE "connections" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "provider_keys" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "workspace_id" text;--> statement-breakpoint
ALTER TABLE "provider_keys" ADD COLUMN "workspace_id" text;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_workspace_provider_idx" ON "connections" USING btree ("workspace_id","provider");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_keys_workspace_provider_idx" ON "provider_keys" USING btree ("workspace_id","provider");--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_one_owner" CHECK (("connections"."user_id" is null) <> ("connections"."workspace_id" is null));--> statement-breakpoint
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_one_owner" CHECK (("provider_keys"."user_id" is null) <> ("provider_keys"."workspace_id" is null));