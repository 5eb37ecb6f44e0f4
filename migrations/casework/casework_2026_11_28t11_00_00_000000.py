"""Proceedings as practitioners run them: the words and the hierarchy.

- ``body.superior_code``: where a review (复查) goes: a county petition
  bureau's to the city's, the city's to the province's; a county
  department's to its county government's petition bureau (信访工作条例 art.
  35). Seeded from bodies.json; an administrator may change it.
- Justice bureaus (``-JUS``) get their own body kind, ``justice_bureau``:
  breaches of people's mediation and legal aid go to them for supervision.
- Current terms, where the seed still holds the old ones (a row an
  administrator changed is left as they set it): 劳动争议（含欠薪）,
  国有土地上房屋征收 (the 2011 regulation replaced 城市房屋拆迁), district-level
  committees named 联合人民调解委员会, 行政行为 (the 2023 law no longer says
  具体行政行为).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "review bodies' hierarchy and current terms"

SQL = r"""
ALTER TABLE body ADD COLUMN superior_code text;
UPDATE body SET superior_code = CASE level WHEN 2 THEN 'SX-PB' WHEN 3 THEN 'CZ-PB' END
WHERE kind = 'petition_bureau';
UPDATE body d SET superior_code = p.code FROM body p
WHERE d.kind = 'administrative_department' AND d.level = 3 AND p.kind = 'petition_bureau' AND p.level = 3
  AND left(p.division_code, 6) = left(d.division_code, 6);
UPDATE body SET superior_code = NULL WHERE superior_code IS NOT NULL
  AND superior_code NOT IN (SELECT code FROM body);

CREATE TEMP TABLE changed_by_admin ON COMMIT DROP AS
SELECT DISTINCT entity, key FROM admin_event WHERE actor_id IS NOT NULL;

UPDATE category SET label_zh = '劳动争议（含欠薪）', label_en = 'labour disputes (wage arrears included)'
WHERE code = 'labour_wage' AND label_zh = '劳动和欠薪'
  AND NOT EXISTS (SELECT 1 FROM changed_by_admin WHERE entity = 'category' AND key = 'labour_wage');
UPDATE category SET label_zh = '国有土地上房屋征收', label_en = 'expropriation of houses on state-owned land'
WHERE code = 'urban_demolition' AND label_zh = '城市房屋拆迁'
  AND NOT EXISTS (SELECT 1 FROM changed_by_admin WHERE entity = 'category' AND key = 'urban_demolition');
UPDATE body b SET name_zh = v.new, name_en = replace(b.name_en, 'People''s Mediation Committee',
                                                    'Joint People''s Mediation Committee')
FROM (VALUES
    ('140403-PMC', '潞州区人民调解委员会', '潞州区联合人民调解委员会'),
    ('140404-PMC', '上党区人民调解委员会', '上党区联合人民调解委员会'),
    ('140405-PMC', '屯留区人民调解委员会', '屯留区联合人民调解委员会'),
    ('140406-PMC', '潞城区人民调解委员会', '潞城区联合人民调解委员会'),
    ('140423-PMC', '襄垣县人民调解委员会', '襄垣县联合人民调解委员会'),
    ('140425-PMC', '平顺县人民调解委员会', '平顺县联合人民调解委员会'),
    ('140426-PMC', '黎城县人民调解委员会', '黎城县联合人民调解委员会'),
    ('140427-PMC', '壶关县人民调解委员会', '壶关县联合人民调解委员会'),
    ('140428-PMC', '长子县人民调解委员会', '长子县联合人民调解委员会'),
    ('140429-PMC', '武乡县人民调解委员会', '武乡县联合人民调解委员会'),
    ('140430-PMC', '沁县人民调解委员会', '沁县联合人民调解委员会'),
    ('140431-PMC', '沁源县人民调解委员会', '沁源县联合人民调解委员会')
) AS v(code, old, new)
WHERE b.code = v.code AND b.name_zh = v.old
  AND NOT EXISTS (SELECT 1 FROM changed_by_admin WHERE entity = 'body' AND key = b.code);
-- Justice bureaus are a kind of their own: they supervise people's
-- mediation and legal aid (人民调解法 art. 5, 法律援助法 art. 5).
UPDATE body SET kind = 'justice_bureau'
WHERE code LIKE '%-JUS' AND kind = 'administrative_department'
  AND NOT EXISTS (SELECT 1 FROM changed_by_admin WHERE entity = 'body' AND key = body.code);
UPDATE routing_rule SET reason_zh = replace(reason_zh, '具体行政行为', '行政行为')
WHERE reason_zh LIKE '%具体行政行为%'
  AND NOT EXISTS (SELECT 1 FROM changed_by_admin WHERE entity = 'routing_rule' AND key = routing_rule.code);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
