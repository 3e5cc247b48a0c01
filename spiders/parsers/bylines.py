"""Authors' names out of Chinese bylines.

A byline is roles and names: ``某某网某某频道 记者 王某 李某``, ``□ 本报记者 王某某``,
``本报记者王某李某发自北京``, ``某某商报记者王某某/文``, ``本报实习生 王某 李某``,
``（王某 上海报道）``, ``文/滨海晚报记者 吕思远 图/朱一鸣``. What precedes the first role is a
newspaper or a channel, not a name. Forum posts name their poster (``本贴由 某某 于 … 发表``,
``某某 发表于``). A URL, a site's name or a user id (``L_123456``) is never an author.
"""

from __future__ import annotations

import re

from spiders.parsers.text import HAN, SPACES, clean_text

WIDE_SPACES = re.compile(r"[\s\u3000]+")
BARE_NAME = re.compile(rf"\A[{HAN}]{{2,6}}\Z|\A[A-Za-z][A-Za-z0-9_.\-]{{2,20}}\Z")
CJK_NAME = re.compile(
    rf"\A[{HAN}]{{2,4}}\Z|\A[{HAN}]{{1,6}}[·•][{HAN}·•]{{1,10}}\Z|\A[A-Za-z][A-Za-z .\-]{{1,30}}\Z"
)
# A role before names: 本报记者, 新华社记者, 本报驻日内瓦记者, 澎湃新闻记者, 实习生, 作者：, 文/
ROLE = re.compile(
    r"[^\s\u3000:：/／|｜（(]{0,12}?(?:特约|实习|實習|首席|全媒体|融媒体)?"
    r"(?:[记記]者|通讯员|通訊員|评论员|評論員|撰稿人|特派员|特派員|实习生|實習生)"
    r"|(?:作者|撰文|撰稿|文字|文|图|圖|摄影|攝影|摄|攝)\s*[:：/／|｜]"
)
NAME_SEPARATORS = re.compile(r"[\s\u3000、，,;；/／|｜]+")
# Where a byline ends: the next label, a date, a photo credit, a place of reporting.
BYLINE_END = re.compile(
    r"来源|來源|稿源|出处|责任编辑|責任編輯|编辑|編輯|责编|校对|发布|發佈|时间|時間|日期|浏览|阅读|閱讀|字号|点击|分享"
    r"|[图圖]\s*[/／:：]|\d{4}\s*[-年/.]|[/／][^\s/／]{0,8}(?:报道|報導)|报道|報導|发自|發自"
    r"|(?<=\S)[/／]\s*(?:文|图|圖|摄|攝)(?:\s|\Z)|[【\[]?\s*大\s+中\s+小"
)
LEADING_MARKS = "□■●◆▲★☆○◇△·•-—=【】[]（）() \u3000"
AUTHOR_LABEL = re.compile(
    r"(?:^|(?<=[\s\u3000|｜·]))(?:作者|撰文|撰稿|文|[记記]者)\s*[:：/／|｜]\s*(?P<rest>.+)"
)
BYLINE_LINE = re.compile(
    r"\A[□■●◆▲★\s\u3000]*[^\s\u3000（(]{0,12}?(?:[记記]者|实习生|實習生|通讯员|通訊員)"
)
ROLE_WORD = re.compile(r"[记記]者|实习生|實習生|通讯员|通訊員")
POST_HEADER = re.compile(r"发表于|發表於|本[贴帖貼]由")
BYLINE_IN_BRACKETS = re.compile(r"[（(]\s*[^（）()]{0,12}?[记記]者[^（）()]{2,40}[）)]")
REPORTED_FROM = re.compile(
    rf"[（(]\s*(?P<names>[{HAN}]{{2,4}}(?:[\s\u3000、][{HAN}]{{2,4}})*)\s*[/／\s\u3000]?\s*"
    rf"[{HAN}]{{2,4}}?(?:报道|報導)\s*[）)]"
)
POSTER = (
    re.compile(r"本[贴帖貼]由\s*[\[【]?\s*(?P<name>[^\s\]】]{1,24})\s*[\]】]?\s*[于於]"),
    re.compile(r"(?:^|\s)(?P<name>[^\s:：#]{1,24})\s*(?:发表于|發表於)"),
    re.compile(r"(?:作者|發帖人|发帖人|楼主|樓主)\s*[:：]\s*(?P<name>[^\s]{1,24})"),
)
MAX_BYLINE_LINE = 40
# Names that are places of publication, not people.
SITE_NAME = re.compile(
    r"(?:网|網|报|報|社|台|频道|頻道|在线|在線|新闻|新聞|日报|日報|博客|论坛|論壇|杂志|雜誌|传媒|傳媒"
    r"|集团|集團|公司|办公室|辦公室|政府|局|厅|廳|委|中心|编辑部|編輯部|中文|官网|官網|本报|本報|本网|本網)\Z"
)
# Profile labels and member ranks beside a forum poster's name.
PROFILE_WORD = re.compile(
    r"(?:会员|會員|版主|斑竹|管理员|管理員|用户|用戶|新手|游客|遊客|等级|等級|级别|級別|帖子|主题|主題|积分|積分"
    r"|精华|精華|威望|金钱|金錢|注册|註冊|在线|在線|登录|登錄|来自|來自|性别|性別|贡献|貢獻|听众|收听)"
)
USER_ID = re.compile(r"\A[A-Za-z]{0,3}[_\-]?\d{3,}\Z|\d{5,}")
URL_LIKE = re.compile(r"://|\bwww\.|\.(?:com|cn|net|org|html?)\b", re.IGNORECASE)
NOT_NAMES = {
    "原创", "原創", "转载", "轉載", "评论", "評論", "分享", "打印", "关闭", "關閉", "收藏",
    "返回", "编者按", "編者按", "导语", "導語", "摘要", "正文", "首页", "首頁", "新闻", "新聞",
    "楼主", "樓主", "佚名", "未知", "不详", "不詳", "管理员", "管理員", "admin", "本站", "网络",
    "網絡", "網路",
    "匿名", "游客", "遊客", "网友", "網友", "本报讯", "本報訊", "记者", "記者", "通讯员", "小编",
}  # fmt: skip
COMPOUND_SURNAMES = {
    "欧阳", "歐陽", "司马", "司馬", "上官", "诸葛", "諸葛", "东方", "東方", "皇甫", "尉迟",
    "公孙", "公孫", "慕容", "令狐", "夏侯", "长孙", "長孫", "宇文", "司徒", "端木", "独孤",
}  # fmt: skip
# The commonest surnames, most frequent first (simplified, then traditional spellings).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
    "張劉陳楊黃趙吳孫馬鄭謝許韓馮鄧蘇呂鍾譚陸範賈韋鄒閆賀顧龔萬錢湯"
)


def valid_name(name: str | None) -> bool:
    """Whether ``name`` can be a person's name: no URL, no user id, no site or paper."""
    if not name or len(name) > 24 or name in NOT_NAMES:
        return False
    return not (URL_LIKE.search(name) or USER_ID.search(name) or SITE_NAME.search(name))


def _surname_rank(name: str) -> int:
    if name[:2] in COMPOUND_SURNAMES:
        return 0
    rank = SURNAMES.find(name[0])
    return rank if rank >= 0 else len(SURNAMES) * 4


def _split_glued(token: str) -> list[str]:
    """``王海燕李明`` is two names written without a space: split a run of 4 to 6 Han
    characters into names of 2 or 3 characters that each start with a common surname."""
    if len(token) < 4 or len(token) > 6 or token[:2] in COMPOUND_SURNAMES:
        return [token]
    best: tuple[int, list[str]] | None = None
    for first in (2, 3):
        rest = token[first:]
        if len(rest) not in (2, 3) and not (len(rest) == 4 and first == 2):
            continue
        parts = [token[:first], *([rest] if len(rest) < 4 else [rest[:2], rest[2:]])]
        cost = sum(_surname_rank(part) for part in parts[1:])
        if best is None or cost < best[0]:
            best = (cost, parts)
    if best is None or best[0] >= len(SURNAMES) * 4:
        return [token]
    return best[1]


def _merge_single_characters(tokens: list[str]) -> list[str]:
    """``郁　静　孙　超`` is two names typeset with spaces: join single characters pairwise."""
    merged: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and "\u4e00" <= token <= "\u9fff":
            run.append(token)
            continue
        # An odd run (``大 中 小``) is no pair of names.
        if len(run) % 2 == 0:
            merged += ["".join(run[i : i + 2]) for i in range(0, len(run), 2)]
        run = []
        if token:
            merged.append(token)
    return merged


def _names(text: str) -> list[str]:
    tokens = [t for t in NAME_SEPARATORS.split(text.strip(LEADING_MARKS)) if t]
    names: list[str] = []
    for token in _merge_single_characters(tokens):
        token = token.strip("（）()【】[]·•:：")
        split = _split_glued(token) if re.fullmatch(rf"[{HAN}]+", token) else [token]
        names += [name for name in split if CJK_NAME.match(name) and valid_name(name)]
    return names


def parse_byline(text: str | None) -> str | None:
    """The authors' names in a byline, joined by ``、``: ``本报记者　郁　静　孙　超`` →
    ``郁静、孙超``; ``文/滨海晚报记者 吕思远 图/朱一鸣`` → ``吕思远``. A byline with a role
    but no name (``本报评论员``) is kept as it is; text that is no byline gives None."""
    text = clean_text(text)
    if not text:
        return None
    text = BYLINE_END.split(text.strip(LEADING_MARKS), maxsplit=1)[0]
    pieces = ROLE.split(text)
    # What precedes the first role names the paper or channel, not a person.
    after_roles = pieces[1:] if len(pieces) > 1 else pieces
    names = [name for piece in after_roles for name in _names(piece)]
    if names:
        return "、".join(dict.fromkeys(names))
    role_only = WIDE_SPACES.sub("", text).strip("（）()【】[]:：" + LEADING_MARKS)
    return role_only if ROLE.fullmatch(role_only) and len(role_only) <= 20 else None


def poster(line: str) -> str | None:
    """The poster a forum post's header line names, if it is a valid name."""
    for pattern in POSTER:
        if (match := pattern.search(line)) and valid_name(name := match["name"].strip("：:")):
            return name
    return None


def reported_by(line: str) -> str | None:
    """The names of a bracketed byline in a line: ``（记者 李四）``, ``（王某 上海报道）``."""
    for match in BYLINE_IN_BRACKETS.finditer(line):
        if name := parse_byline(match.group(0)):
            return name
    for match in REPORTED_FROM.finditer(line):
        if names := _names(match["names"]):
            return "、".join(names)
    return None


def bare_name(line: str) -> str | None:
    """A line that is only a person's name (under a headline, the author); a name may be
    spaced out (``林 峰``), words side by side (``回复 发新话题``) are no name."""
    tokens = line.split()
    if len(tokens) > 1 and any(len(token) > 1 for token in tokens):
        return None
    line = SPACES.sub("", line).strip(LEADING_MARKS)
    named = BARE_NAME.match(line) and valid_name(line) and not PROFILE_WORD.search(line)
    return line if named else None


def labelled_author(rest: str) -> str | None:
    """The author after a label (``作者：``): a byline's names, or one nickname."""
    if names := parse_byline(rest):
        return names
    first = BYLINE_END.split(clean_text(rest) or "", maxsplit=1)[0].split()
    return bare_name(first[0]) if first else None
