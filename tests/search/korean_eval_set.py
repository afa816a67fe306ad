"""Korean retrieval test set for the search analyzer (bench/korean_analysis.py, test_analysis.py).

Short documents in the AI-safety-evaluation domain, written as people write them: nouns with
particles, 하다/되다 verbs with endings, some mixed Korean/English and one Japanese line, and
a few deliberate traps (listed below). Queries are particle-inflected, as people type them.

Relevance was judged by hand, by meaning, document by document; it was not produced by any
analyzer. The rule: a document is relevant to a query when it contains every noun of the query
(its stem, the query minus particles/endings) in any inflected form, also when the noun is part
of a compound or derivation written as one word (평가 in 평가자, 과소평가, 안전성평가;
생물학 in 생물학적; 안전 in 안전성, 안전장치; 모델 in 모델링) and also when the document
spaces a compound (개인 정보 for 개인정보, 레드 팀 for 레드팀). English words count in any
English inflection (evaluation/evaluated, refusal/refused); a translation does not count
(jailbreak is not 탈옥). Multi-word queries need all their nouns (AND).

Traps (documents that share syllables with a query noun but do not contain it):
평균 vs 평가 (d13); 정확하게 vs 정확도 (d16); 보안전문가 contains the letters 안전 (d17);
평가설계 contains 가설 (d18); 정보안내 contains 보안 (d20); 사이 (between) vs 사이버
(d22, d53, d55); 전문적인/전문 인력 vs 전문가 (d27, d50); 레드 라인 vs 레드팀 (d49);
생물 vs 생물학 (d51); 안전 vs 안전성 (d52, d73); 거부 vs 거부율 (d54, d74); 신뢰할/신뢰구간 vs
신뢰도 (d59, d72); 재현할/재현 가능성 vs 재현성 (d35, d71); 보고 형식 vs 보고서 (d44);
評価 (Japanese) vs 평가 (d75).
"""

from __future__ import annotations

DOCS: dict[str, str] = {
    "d01": "이번 평가에서 탈옥 공격에 대한 모델의 거부율을 측정했다.",
    "d02": "레드팀은 세 가지 탈옥 기법을 사용해 챗봇의 안전장치를 우회하려고 시도했다.",
    "d03": "안전성 평가 결과는 다음 주 회의에서 공유될 예정이다.",
    "d04": "개인정보가 포함된 학습 데이터는 평가 전에 모두 제거해야 한다.",
    "d05": "벤치마크 점수만으로는 모델의 실제 위험을 판단하기 어렵다.",
    "d06": "에이전트가 외부 도구를 호출할 때 권한 검사가 제대로 이루어지는지 확인했다.",
    "d07": "사이버 보안 과제에서 모델은 취약점을 찾아냈지만 실제 공격 코드는 작성하지 못했다.",
    "d08": "생물학 분야의 위험 지식을 묻는 질문에 대해 모델이 답변을 거부했다.",
    "d09": "거부율이 지나치게 높으면 정상적인 요청에도 응답하지 않는 과잉 거부 문제가 생긴다.",
    "d10": "평가자 두 명이 각 응답의 유해성을 독립적으로 채점했다.",
    "d11": "우리 연구소는 다국어 탈옥 프롬프트 500개를 새로 구축했다.",
    "d12": "모델들이 한국어 질문보다 영어 질문에서 더 자주 탈옥되었다.",
    "d13": "평균 응답 길이는 모델마다 크게 달랐다.",
    "d14": "이 벤치마크는 공개된 지 오래되어 학습 데이터에 오염되었을 가능성이 있다.",
    "d15": "정확도는 높았지만 보정 오차가 커서 신뢰도를 낮게 평가했다.",
    "d16": "답변이 출처를 정확하게 인용했는지 검토하는 절차를 추가했다.",
    "d17": "보안전문가들이 레드팀 훈련에 참여해 공격 시나리오를 설계했다.",
    "d18": "평가설계 단계에서 위험 시나리오의 우선순위를 정했다.",
    "d19": "가설 검정 결과 두 모델의 차이는 통계적으로 유의하지 않았다.",
    "d20": "이용자 정보안내 페이지에 데이터 보관 기간을 명시했다.",
    "d21": "사이버 공격 역량 평가는 격리된 가상 환경에서만 진행한다.",
    "d22": "두 기관 사이에 평가 데이터를 교환하는 절차가 마련되었다.",
    "d23": "에이전트 평가 환경에서 모델은 파일을 삭제하는 명령을 실행하려 했다.",
    "d24": "개인 정보를 추출하려는 프롬프트에 대해 모델 대부분이 응답을 거부했다.",
    "d25": "개인정보 유출 위험은 검색 기능이 붙은 모델에서 특히 높았다.",
    "d26": "생물학적 위험에 관한 질문 세트는 외부 전문가의 검토를 거쳤다.",
    "d27": "전문적인 화학 지식이 필요한 질문에서는 모델 간 차이가 컸다.",
    "d28": "LLM 평가에서 자동 채점기와 사람 채점의 일치도를 비교했다.",
    "d29": "The jailbreak prompts were translated into Korean, and 탈옥 성공률은 영어보다 높았다.",
    "d30": "We evaluated five models on the refusal benchmark; 거부율의 차이는 크지 않았다.",
    "d31": "Red teaming 결과를 요약한 보고서가 평가 기록에 첨부되었다.",
    "d32": "GPT 계열 모델의 jailbreak 저항성을 한국어와 영어로 각각 측정했다.",
    "d33": "Agent 벤치마크에서 에이전트가 웹 브라우저를 조작하는 과제를 수행했다.",
    "d34": "모델 카드에는 안전성 평가 방법과 한계가 함께 기록되어야 한다.",
    "d35": "평가 방법론을 공개하면 다른 기관도 같은 실험을 재현할 수 있다.",
    "d36": "재현성을 확보하기 위해 난수 시드와 프롬프트를 모두 저장했다.",
    "d37": "위험도가 높은 능력은 배포 전에 추가 평가를 받는다.",
    "d38": "위험을 과소평가하지 않도록 보수적인 임계값을 적용했다.",
    "d39": "모델링 가정이 바뀌면 위험 추정치도 달라진다.",
    "d40": "데이터셋의 라벨 오류를 수정한 뒤 정확도가 3%p 올랐다.",
    "d41": "사용자 동의 없이 수집된 대화 기록은 평가에 쓰지 않는다.",
    "d42": "사전동의 절차를 거친 참가자만 인간 대상 실험에 참여했다.",
    "d43": "국가별 규제 차이 때문에 평가 기준을 하나로 맞추기 어렵다.",
    "d44": "국제 표준 초안은 벤치마크 결과의 보고 형식을 규정한다.",
    "d45": "모델의 환각 비율은 검색 증강을 적용한 뒤 절반으로 줄었다.",
    "d46": "환경 설정 파일이 누락되어 에이전트 실행이 중단되었다.",
    "d47": "탈옥 성공 사례는 모두 익명화하여 공유 저장소에 올렸다.",
    "d48": "레드팀 활동 중 발견한 취약점은 개발사에 먼저 통보한다.",
    "d49": "레드 라인을 넘는 능력이 확인되면 즉시 배포를 중단한다.",
    "d50": "사이버보안 전문 인력이 부족해 평가 일정이 늦어졌다.",
    "d51": "생물 무기 관련 질문은 별도의 격리된 질문 세트로 관리한다.",
    "d52": "모델이 안전 지침을 무시하도록 유도하는 역할극 프롬프트가 가장 효과적이었다.",
    "d53": "안전성과 유용성 사이의 균형을 찾는 것이 이번 평가의 핵심 목표였다.",
    "d54": "유해 요청 거부와 일반 요청 응답을 따로 채점했다.",
    "d55": "벤치마크를 새로 만들 때는 평가 항목 사이의 중복을 점검해야 한다.",
    "d56": "모델 가중치 유출에 대비해 접근 권한을 최소화했다.",
    "d57": "Prompt injection 공격으로 에이전트의 권한 상승이 가능한지 시험했다.",
    "d58": "다음 분기에는 멀티모달 모델의 이미지 탈옥을 집중적으로 평가할 계획이다.",
    "d59": "평가 결과의 신뢰구간을 부트스트랩으로 추정했다.",
    "d60": "데이터 보호 규정에 따라 개인정보 처리 방침을 갱신했다.",
    "d61": "응답 속도가 느린 모델은 에이전트 과제에서 시간 초과로 실패했다.",
    "d62": "안전장치가 없는 오픈 가중치 모델의 위험을 별도로 분석했다.",
    "d63": "이 보고서는 사이버 범죄 악용 가능성을 중심으로 작성되었다.",
    "d64": "Evaluation logs from the cyber range were archived together with 평가 기록.",
    "d65": "Benchmarks such as MMLU are saturated, so 새 벤치마크가 필요하다.",
    "d66": "The model refused harmful requests but complied with benign ones.",
    "d67": "Evaluating agents requires sandboxed environments and careful logging.",
    "d68": "탈옥을 막기 위한 시스템 프롬프트 수정은 효과가 제한적이었다.",
    "d69": "평가용 문항은 생물학, 화학, 사이버의 세 영역으로 나뉜다.",
    "d70": "연구자들은 모델의 기만 행동을 관찰하기 위해 장기 과제를 설계했다.",
    "d71": "전문가 패널은 레드팀 보고서의 재현 가능성을 높게 평가했다.",
    "d72": "신뢰할 수 있는 벤치마크는 오염 여부를 주기적으로 확인해야 한다.",
    "d73": "안전 기준을 충족하지 못한 모델은 공개 목록에서 제외되었다.",
    "d74": "거부 응답의 품질을 평가하는 별도 지표를 도입했다.",
    "d75": "評価 데이터는 일본 기관과 공유하며, 日本語 프롬프트도 포함한다.",
    "d76": "안전성평가 지침 개정안이 이번 달에 승인되었다.",
    "d77": "레드 팀 운영 방식은 기관마다 다르다.",
    "d78": "탈옥된 모델은 위험한 화학 합성 절차를 설명했다.",
    "d79": "평가 기록 보관 기간은 5년이다.",
    "d80": "모델 개발사는 사고 보고 절차를 공개하지 않았다.",
}


def _ids(*numbers: int) -> frozenset[str]:
    return frozenset(f"d{n:02d}" for n in numbers)


# Documents containing 평가 in any form (평가자, 과소평가, 평가설계, 평가용, 안전성평가,
# 평가했다/평가할/평가하는 ...). Not d13 (평균) and not d75 (評価 is Japanese).
_EVAL = _ids(1, 3, 4, 10, 15, 18, 21, 22, 23, 28, 31, 34, 35, 37, 38, 41, 43, 50, 53, 55, 58)
_EVAL |= _ids(59, 64, 69, 71, 74, 76, 79)
# Documents containing 모델 in any form (모델들이, 모델링, 모델마다 ...).
_MODEL = _ids(1, 5, 7, 8, 12, 13, 19, 23, 24, 25, 27, 32, 34, 39, 45, 52, 56, 58, 61, 62)
_MODEL |= _ids(70, 73, 78, 80)
# 위험 in any form: 위험도, 위험한, 위험은 ...
_RISK = _ids(5, 8, 18, 25, 26, 37, 38, 39, 62, 78)
_JAILBREAK = _ids(1, 2, 11, 12, 29, 47, 58, 68, 78)

#: (query, relevant document ids). Every query has at least one relevant document.
QUERIES: list[tuple[str, frozenset[str]]] = [
    ("평가를", _EVAL),
    ("탈옥에서", _JAILBREAK),
    ("모델의", _MODEL),
    ("안전성을 평가", _ids(3, 34, 53, 76)),
    ("거부율이", _ids(1, 9, 30)),
    ("레드팀의", _ids(2, 17, 48, 71, 77)),  # d77 writes 레드 팀
    ("개인정보를", _ids(4, 24, 25, 60)),  # d24 writes 개인 정보
    ("벤치마크에서", _ids(5, 14, 33, 44, 55, 65, 72)),
    ("에이전트가", _ids(6, 23, 33, 46, 57, 61)),
    ("사이버 공격을", _ids(7, 21)),
    ("생물학의", _ids(8, 26, 69)),
    ("취약점을", _ids(7, 48)),
    ("정확도가", _ids(15, 40)),
    ("위험도를", _ids(37)),
    ("전문가의", _ids(17, 26, 71)),
    ("보안을", _ids(7, 17, 50)),
    ("가설을", _ids(19)),
    ("안전을", _ids(2, 3, 34, 52, 53, 62, 73, 76)),
    ("동의를", _ids(41, 42)),
    ("LLM 평가", _ids(28)),
    ("jailbreak 탈옥", _ids(29)),
    ("benchmark 벤치마크", _ids(65)),
    ("에이전트의 권한", _ids(6, 57)),
    ("결과를", _ids(3, 19, 31, 44, 59)),
    ("회의에서", _ids(3)),
    ("데이터를", _ids(4, 14, 20, 22, 40, 60, 75)),
    ("프롬프트로", _ids(11, 24, 36, 52, 68, 75)),
    ("레드팀이 탈옥을", _ids(2)),
    ("과제에서", _ids(7, 33, 61, 70)),
    ("위험을", _RISK),
    ("공유된", _ids(3, 47, 75)),
    ("평가했다", _EVAL),
    ("모델들의 탈옥", _MODEL & _JAILBREAK),
    ("채점을", _ids(10, 28, 54)),
    ("유출을", _ids(25, 56)),
    ("재현성이", _ids(36)),
    ("기관에서", _ids(22, 35, 75, 77)),
    ("환경에서", _ids(21, 23, 46)),
    ("한국어로", _ids(12, 32)),
    ("보고서에", _ids(31, 63, 71)),
    ("신뢰도를", _ids(15)),
    ("사이버의", _ids(7, 21, 50, 63, 69)),
    ("evaluation 평가", _ids(64)),
    ("refusal 거부율", _ids(30)),
    ("레드팀 훈련", _ids(17)),
    ("배포를 중단", _ids(49)),
    ("취약점을 통보", _ids(48)),
    ("가중치가", _ids(56, 62)),
    ("생물학 위험", _ids(8, 26)),
    ("안전장치를", _ids(2, 62)),
    ("유출된 개인정보", _ids(25)),
    ("전문가가 검토", _ids(26)),
    ("정확도", _ids(15, 40)),
    ("평가 기록을", _ids(31, 34, 41, 64, 79)),
    ("방법론을", _ids(35)),
    ("시나리오를", _ids(17, 18)),
    ("탈옥을 평가", _EVAL & _JAILBREAK),
    ("평가하는 방법", _ids(34, 35)),
    ("측정했다", _ids(1, 32)),
    ("GPT 모델의", _ids(32)),
    ("MMLU 벤치마크", _ids(65)),
    ("Agent 벤치마크", _ids(33)),
    ("절차가", _ids(16, 22, 42, 78, 80)),
    ("보고서를", _ids(31, 63, 71)),
    ("전문가", _ids(17, 26, 71)),
    ("안전성과 유용성", _ids(53)),
]
